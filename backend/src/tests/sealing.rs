//! Secrets at rest across an upgrade and a key rotation: values stored in clear by an
//! earlier version are sealed at the next start, a rotation reseals them with the new key
//! (and login JWTs signed with the old one still work meanwhile), and a server without the
//! key the data was sealed with refuses to start.

use std::sync::Arc;

use super::*;
use crate::sealing::{Sealer, SecretKey, secret_purpose, totp_purpose};

on_both_databases!(an_upgrade_and_a_rotation_reseal_every_value);

/// The same storage with another key.
fn with_keys(b: &Backend, current: &SecretKey, previous: &[SecretKey]) -> Backend {
    let config = Config {
        sealer: Arc::new(Sealer::new(current, previous)),
        ..b.config().clone()
    };
    Backend::new(b.repo.clone(), config)
}

async fn an_upgrade_and_a_rotation_reseal_every_value(b: &Backend) {
    let mut rng = rng();
    let (k1, k2) = (SecretKey::generate(&mut rng), SecretKey::generate(&mut rng));
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let project = b.create_project("falcon", None, t0()).await.unwrap();
    // As an earlier version stored them: in clear.
    let seed = "JBSWY3DPEHPK3PXP";
    b.repo.set_totp_pending(alice, seed).await.unwrap();
    b.repo
        .put_secret(project, "DB_PASSWORD", "hunter2", t0())
        .await
        .unwrap();
    let stored = || async {
        let pending = b.repo.totp_state(alice).await.unwrap().pending.unwrap();
        let secret = b.repo.secrets(project).await.unwrap().remove(0).value;
        (pending, secret)
    };

    // The first start with a key seals both, once.
    let v1 = with_keys(b, &k1, &[]);
    assert_eq!(v1.reseal().await.unwrap(), 2);
    assert_eq!(v1.reseal().await.unwrap(), 0);
    let (pending, secret) = stored().await;
    assert!(!pending.contains(seed) && !secret.contains("hunter2"));
    let sealer = &v1.config().sealer;
    assert_eq!(sealer.open(&totp_purpose(alice), &pending).unwrap(), seed);
    let purpose = secret_purpose(project, "DB_PASSWORD");
    assert_eq!(sealer.open(&purpose, &secret).unwrap(), "hunter2");
    let right = creds("alice", "correct horse battery");
    let jwt = v1
        .api_login(right, ClientInfo::default(), t0(), &mut rng)
        .await
        .unwrap()
        .token;

    // Rotation: the new key, the old one as previous; a start reseals everything.
    let v2 = with_keys(b, &k2, std::slice::from_ref(&k1));
    let header = bearer(jwt.expose());
    v2.authenticate_bearer(Some(&header), None, t0())
        .await
        .unwrap();
    assert_eq!(v2.reseal().await.unwrap(), 2);
    let (pending, secret) = stored().await;
    let only_new = with_keys(b, &k2, &[]);
    let sealer = &only_new.config().sealer;
    assert_eq!(sealer.open(&totp_purpose(alice), &pending).unwrap(), seed);
    assert_eq!(sealer.open(&purpose, &secret).unwrap(), "hunter2");
    // Once the old key is dropped, its JWTs no longer verify.
    let r = only_new
        .authenticate_bearer(Some(&header), None, t0())
        .await;
    assert!(
        matches!(r, Err(Error::Auth(AuthError::InvalidToken))),
        "{r:?}"
    );

    // A server with neither key refuses to start, and says which setting to fix.
    let stranger = with_keys(b, &SecretKey::generate(&mut rng), &[]);
    let e = stranger.reseal().await.unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(e.to_string().contains("KEYWARD_SECRET_KEY_PREVIOUS"), "{e}");
    assert_eq!(stored().await, (pending, secret), "nothing changed");
}
