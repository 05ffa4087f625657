//! Personal information, email addresses, avatars, profile visibility and TOTP MFA.

use std::io::Cursor;

use chrono::TimeDelta;
use keyward_core::Role;
use keyward_core::profile::AvatarRefusal;

use super::*;

on_both_databases!(
    personal_information_is_checked_then_saved,
    emails_are_unique_and_one_primary_always_remains,
    avatars_are_scaled_and_fakes_refused,
    peers_see_a_profile_without_email_and_phone,
    mfa_guards_both_sign_in_paths,
    recovery_codes_work_once_and_wrong_codes_lock_for_a_while,
    disabling_mfa_takes_a_code,
    parallel_code_guesses_get_ten_tries_in_all,
    sign_in_failures_are_rate_limited,
    quotas_name_their_limit,
    secrets_are_sealed_at_rest,
    sensitive_changes_need_a_recent_password,
    a_wrong_current_password_counts_as_a_failed_sign_in,
    sessions_beyond_the_cap_end_oldest_first_per_kind,
);
use crate::{MfaError, totp};

fn field_of(e: &Error) -> &str {
    match e {
        Error::Invalid(f) => &f.field,
        Error::Conflict(c) => c.field(),
        _ => panic!("not a field error: {e:?}"),
    }
}

async fn personal_information_is_checked_then_saved(b: &Backend) {
    let id = b.create_user(input("alice"), t0()).await.unwrap();
    for (name, phone, tz, field) in [
        ("", "", "UTC", "display_name"),
        ("Alice", "12", "UTC", "phone"),
        ("Alice", "", "Mars/Olympus", "timezone"),
    ] {
        let e = b
            .update_personal_info(id, name, phone, tz)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), field);
    }
    b.update_personal_info(id, " Alice Liddell ", "+44 20 7946 0958", "Europe/London")
        .await
        .unwrap();
    let u = b.repo().user_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        (
            u.display_name.as_str(),
            u.phone.as_str(),
            u.timezone.as_str()
        ),
        ("Alice Liddell", "+44 20 7946 0958", "Europe/London")
    );
}

async fn emails_are_unique_and_one_primary_always_remains(b: &Backend) {
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let bob = b.create_user(input("bob"), t0()).await.unwrap();

    let e = b
        .add_email(alice, "BOB@example.com", t0())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conflict(Constraint::Email)), "{e:?}");
    let e = b
        .add_email(alice, "Alice@Example.com", t0())
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "email");
    assert_eq!(
        field_of(&b.add_email(alice, "not an email", t0()).await.unwrap_err()),
        "email"
    );

    let work = b
        .add_email(alice, "alice@work.example", t0())
        .await
        .unwrap();
    let primary = b.emails(alice).await.unwrap()[0].clone();
    assert!(primary.is_primary && primary.email == "alice@example.com");
    // The primary cannot go; another user's address is not found.
    let e = b.remove_email(alice, primary.id, t0()).await.unwrap_err();
    assert!(e.to_string().contains("primary"), "{e}");
    assert!(matches!(
        b.remove_email(bob, work, t0()).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        b.make_primary_email(bob, work, t0()).await,
        Err(Error::NotFound)
    ));

    b.make_primary_email(alice, work, t0()).await.unwrap();
    let list = b.emails(alice).await.unwrap();
    assert_eq!(list.iter().filter(|e| e.is_primary).count(), 1);
    assert_eq!(list[0].email, "alice@work.example");
    let u = b.repo().user_by_id(alice).await.unwrap().unwrap();
    assert_eq!(u.email.as_deref(), Some("alice@work.example"));

    b.remove_email(alice, primary.id, t0()).await.unwrap();
    let e = b.remove_email(alice, work, t0()).await.unwrap_err();
    assert!(e.to_string().contains("at least one"), "{e}");
    // The freed address may now be taken by someone else.
    b.add_email(bob, "alice@example.com", t0()).await.unwrap();
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn avatars_are_scaled_and_fakes_refused(b: &Backend) {
    let id = b.create_user(input("alice"), t0()).await.unwrap();
    let e = b
        .set_avatar(id, b"\x89PNG\r\n\x1a\nnot really".to_vec(), t0())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Avatar(AvatarRefusal::Unreadable)),
        "{e:?}"
    );
    assert!(matches!(b.avatar_of("alice").await, Err(Error::NotFound)));

    b.set_avatar(id, png(1000, 700), t0()).await.unwrap();
    let stored = b.avatar_of("alice").await.unwrap();
    let img = image::load_from_memory(&stored).unwrap();
    assert_eq!((img.width(), img.height()), (256, 256));
    let u = b.repo().user_by_id(id).await.unwrap().unwrap();
    assert_eq!(u.avatar_updated_at, Some(t0()));
    b.remove_avatar(id).await.unwrap();
    assert!(matches!(b.avatar_of("alice").await, Err(Error::NotFound)));
}

async fn peers_see_a_profile_without_email_and_phone(b: &Backend) {
    for (name, role) in [
        ("alice", Role::User),
        ("bob", Role::User),
        ("meg", Role::Manager),
    ] {
        let mut i = input(name);
        i.role = role;
        b.create_user(i, t0()).await.unwrap();
    }
    let user =
        |n: &'static str| async move { b.repo().user_by_username(n).await.unwrap().unwrap() };
    let (alice, bob, meg) = (user("alice").await, user("bob").await, user("meg").await);
    assert!(b.profile_of(&alice, "alice").await.unwrap().full);
    assert!(!b.profile_of(&bob, "alice").await.unwrap().full);
    assert!(b.profile_of(&meg, "alice").await.unwrap().full);
    assert!(matches!(
        b.profile_of(&bob, "nobody").await,
        Err(Error::NotFound)
    ));
}

/// Alice with MFA on; returns her id, secret and recovery codes. Enrolment is confirmed at
/// `t0()`, so that step is used up.
async fn enrolled(b: &Backend) -> (i64, String, Vec<String>) {
    let id = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let user = b.repo().user_by_id(id).await.unwrap().unwrap();
    let enrolment = b.begin_mfa(&user, &mut rng).await.unwrap();
    assert!(enrolment.otpauth_uri.contains(&enrolment.secret));
    let e = b
        .enable_mfa(id, "000000", t0(), &mut rng)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "code");
    let code = totp::code_at(&enrolment.secret, t0()).unwrap();
    let codes = b.enable_mfa(id, &code, t0(), &mut rng).await.unwrap();
    assert_eq!(codes.len(), 10);
    (id, enrolment.secret, codes)
}

fn with_code<'a>(code: Option<&'a str>) -> Credentials<'a> {
    Credentials {
        code,
        ..creds("alice", "correct horse battery")
    }
}

/// A client at this address.
fn from(ip: &str) -> ClientInfo {
    ClientInfo::new(Some(ip.to_string()), Some("test"))
}

fn mfa_error(r: Result<impl std::fmt::Debug, Error>) -> MfaError {
    match r {
        Err(Error::Mfa(m)) => m,
        other => panic!("expected an MFA error, got {other:?}"),
    }
}

async fn mfa_guards_both_sign_in_paths(b: &Backend) {
    let (id, secret, _) = enrolled(b).await;
    let mut rng = rng();
    let client = ClientInfo::default;
    let later = t0() + TimeDelta::seconds(90);
    let code = totp::code_at(&secret, later).unwrap();

    // A wrong password is still just wrong: MFA is not revealed.
    let e = b
        .sign_in(creds("alice", "wrong password!"), client(), later, &mut rng)
        .await;
    assert!(matches!(e, Err(Error::BadCredentials)));
    let r = b.sign_in(with_code(None), client(), later, &mut rng).await;
    assert_eq!(mfa_error(r), MfaError::Required);
    let r = b
        .api_login(with_code(Some("")), client(), later, &mut rng)
        .await;
    assert_eq!(mfa_error(r), MfaError::Required);
    let r = b
        .sign_in(with_code(Some("123456")), client(), later, &mut rng)
        .await;
    assert_eq!(mfa_error(r), MfaError::WrongCode);
    // The code used to enrol (at t0) is too old now.
    let old = totp::code_at(&secret, t0()).unwrap();
    let r = b
        .api_login(with_code(Some(&old)), client(), later, &mut rng)
        .await;
    assert_eq!(mfa_error(r), MfaError::WrongCode);

    b.sign_in(with_code(Some(&code)), client(), later, &mut rng)
        .await
        .unwrap();
    // Replayed within the same 30 seconds: refused, on either path.
    let r = b
        .api_login(with_code(Some(&code)), client(), later, &mut rng)
        .await;
    assert_eq!(mfa_error(r), MfaError::WrongCode);
    let next = later + TimeDelta::seconds(30);
    let jwt = b
        .api_login(
            with_code(Some(&totp::code_at(&secret, next).unwrap())),
            client(),
            next,
            &mut rng,
        )
        .await
        .unwrap();
    assert!(
        b.authenticate_bearer(Some(&bearer(jwt.token.expose())), None, next)
            .await
            .is_ok()
    );
    assert_eq!(
        b.repo().totp_state(id).await.unwrap().failures,
        0,
        "success clears failures"
    );
}

async fn recovery_codes_work_once_and_wrong_codes_lock_for_a_while(b: &Backend) {
    let (id, secret, codes) = enrolled(b).await;
    let mut rng = rng();
    let at = t0() + TimeDelta::minutes(5);
    let upper = codes[3].to_uppercase();
    b.sign_in(with_code(Some(&upper)), ClientInfo::default(), at, &mut rng)
        .await
        .unwrap();
    let r = b
        .sign_in(
            with_code(Some(&codes[3])),
            ClientInfo::default(),
            at,
            &mut rng,
        )
        .await;
    assert_eq!(mfa_error(r), MfaError::WrongCode);
    assert_eq!(b.recovery_codes_left(id).await.unwrap(), 9);

    // From nine addresses, as a spread-out attacker would (one address alone meets the
    // rate limit first): the lockout in the database holds across addresses and instances.
    for i in 0..9 {
        let r = b
            .api_login(
                with_code(Some("000000")),
                from(&format!("10.0.0.{i}")),
                at,
                &mut rng,
            )
            .await;
        assert_eq!(mfa_error(r), MfaError::WrongCode);
    }
    // Ten wrong in a row: even the right code waits 15 minutes.
    let right = totp::code_at(&secret, at).unwrap();
    let r = b
        .api_login(with_code(Some(&right)), ClientInfo::default(), at, &mut rng)
        .await;
    assert_eq!(mfa_error(r), MfaError::Locked);
    let after = at + TimeDelta::minutes(16);
    let right = totp::code_at(&secret, after).unwrap();
    b.api_login(
        with_code(Some(&right)),
        ClientInfo::default(),
        after,
        &mut rng,
    )
    .await
    .unwrap();
}

async fn disabling_mfa_takes_a_code(b: &Backend) {
    let (id, secret, _) = enrolled(b).await;
    let user = b.repo().user_by_id(id).await.unwrap().unwrap();
    assert!(user.mfa_enabled);
    let at = t0() + TimeDelta::minutes(1);
    let e = b.disable_mfa(&user, "111111", at).await.unwrap_err();
    assert_eq!(field_of(&e), "code");
    let e = b.begin_mfa(&user, &mut rng()).await.unwrap_err();
    assert_eq!(field_of(&e), "code");
    b.disable_mfa(&user, &totp::code_at(&secret, at).unwrap(), at)
        .await
        .unwrap();
    assert!(!b.repo().user_by_id(id).await.unwrap().unwrap().mfa_enabled);
    assert_eq!(b.recovery_codes_left(id).await.unwrap(), 0);
    b.sign_in(
        creds("alice", "correct horse battery"),
        ClientInfo::default(),
        at,
        &mut rng(),
    )
    .await
    .unwrap();
}

async fn parallel_code_guesses_get_ten_tries_in_all(b: &Backend) {
    let (id, _, _) = enrolled(b).await;
    let user = b.repo().user_by_id(id).await.unwrap().unwrap();
    let at = t0() + TimeDelta::minutes(5);
    // Forty wrong codes at once (through Disable MFA, which checks the code without a
    // password hash in front to spread them out): the attempt is counted before the code is
    // checked, so only ten are ever tried.
    let guesses = (0..40).map(|i| {
        let (b, user) = (b.clone(), user.clone());
        tokio::spawn(async move {
            let code = format!("{:06}", 100_000 + i);
            b.disable_mfa(&user, &code, at).await
        })
    });
    let (wrong, locked) = (
        MfaError::WrongCode.to_string(),
        MfaError::Locked.to_string(),
    );
    let mut tried = 0;
    for guess in guesses.collect::<Vec<_>>() {
        match guess.await.unwrap() {
            Err(Error::Invalid(f)) if f.message == wrong => tried += 1,
            Err(Error::Invalid(f)) if f.message == locked => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(tried, 10, "codes checked out of 40 parallel guesses");
    assert_eq!(b.repo().totp_state(id).await.unwrap().failures, 10);
    assert!(b.repo().user_by_id(id).await.unwrap().unwrap().mfa_enabled);
}

async fn sign_in_failures_are_rate_limited(b: &Backend) {
    b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let wrong = creds("alice", "wrong password!");
    let limits = b.config().limits.clone();
    // The pair limit: this address may fail on this account a few times, then waits.
    for _ in 0..limits.sign_in_pair.burst {
        let r = b.sign_in(wrong, from("10.2.0.1"), t0(), &mut rng).await;
        assert!(matches!(r, Err(Error::BadCredentials)), "{r:?}");
    }
    let r = b.sign_in(wrong, from("10.2.0.1"), t0(), &mut rng).await;
    let Err(Error::RateLimited(wait)) = r else {
        panic!("expected a rate limit, got {r:?}")
    };
    assert_eq!(
        wait.seconds(),
        limits.sign_in_pair.every.num_seconds() as u64
    );
    // Refused before the password is looked at: the right one waits too.
    let right = creds("alice", "correct horse battery");
    let r = b.sign_in(right, from("10.2.0.1"), t0(), &mut rng).await;
    assert!(matches!(r, Err(Error::RateLimited(_))), "{r:?}");
    // The person, from their own address, is not locked out.
    b.sign_in(right, from("192.0.2.7"), t0(), &mut rng)
        .await
        .unwrap();
    // Successes do not count: many in a row from one address all work.
    for _ in 0..limits.sign_in_pair.burst + 2 {
        b.sign_in(right, from("192.0.2.7"), t0(), &mut rng)
            .await
            .unwrap();
    }
    // After the wait, the attacker's address gets one more try.
    let later = t0() + limits.sign_in_pair.every;
    let r = b.sign_in(wrong, from("10.2.0.1"), later, &mut rng).await;
    assert!(matches!(r, Err(Error::BadCredentials)), "{r:?}");
    // Unknown usernames count too (no hint of which exist).
    let ghost = creds("ghost", "wrong password!");
    for _ in 0..limits.sign_in_pair.burst {
        let r = b.sign_in(ghost, from("10.2.0.2"), t0(), &mut rng).await;
        assert!(matches!(r, Err(Error::BadCredentials)), "{r:?}");
    }
    let r = b.sign_in(ghost, from("10.2.0.2"), t0(), &mut rng).await;
    assert!(matches!(r, Err(Error::RateLimited(_))), "{r:?}");
}

async fn quotas_name_their_limit(b: &Backend) {
    use crate::quota;
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let expires = t0() + TimeDelta::days(30);
    for i in 0..quota::API_TOKENS {
        b.mint_api_token_at(
            alice,
            &format!("t{i}"),
            expires,
            &Default::default(),
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    }
    let on = (t0() + TimeDelta::days(10)).date_naive();
    let before = b.list_api_tokens(alice).await.unwrap().len();
    let e = b
        .mint_api_token(alice, "one more", on, &Default::default(), t0(), &mut rng)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "name");
    assert!(
        e.to_string().contains(&quota::API_TOKENS.to_string()),
        "{e}"
    );
    assert_eq!(b.list_api_tokens(alice).await.unwrap().len(), before);
    // Expired tokens do not count: at their expiry there is room again.
    let after = expires + TimeDelta::seconds(1);
    let on = (after + TimeDelta::days(10)).date_naive();
    b.mint_api_token(alice, "one more", on, &Default::default(), after, &mut rng)
        .await
        .unwrap();

    for i in 1..quota::EMAILS {
        b.add_email(alice, &format!("a{i}@example.org"), t0())
            .await
            .unwrap();
    }
    let e = b
        .add_email(alice, "eleventh@example.org", t0())
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "email");
    assert!(e.to_string().contains(&quota::EMAILS.to_string()), "{e}");
    assert_eq!(b.emails(alice).await.unwrap().len() as i64, quota::EMAILS);
}

async fn secrets_are_sealed_at_rest(b: &Backend) {
    let (id, seed, _) = enrolled(b).await;
    let stored = b.repo().totp_state(id).await.unwrap().secret.unwrap();
    assert!(crate::sealing::Sealer::is_sealed(&stored), "{stored}");
    assert!(!stored.contains(&seed));
    // Another user's sealed seed copied into this row does not open (bound to its row).
    let other = b.create_user(input("bob"), t0()).await.unwrap();
    let purpose = crate::sealing::totp_purpose(other);
    assert!(b.config().sealer.open(&purpose, &stored).is_err());
    // Resealing with nothing to do changes nothing.
    assert_eq!(b.reseal().await.unwrap(), 0);
}

async fn sensitive_changes_need_a_recent_password(b: &Backend) {
    b.create_user(input("alice"), t0()).await.unwrap();
    let right = creds("alice", "correct horse battery");
    let here = Some("192.0.2.1");
    let signed = b
        .sign_in(right, from("192.0.2.1"), t0(), &mut rng())
        .await
        .unwrap();
    let cookie = signed.cookie.expose().to_string();
    let session = |at| {
        let (b, cookie) = (b.clone(), cookie.clone());
        async move { b.session_user(&cookie, at).await.unwrap() }
    };
    // Signing in counts, for ten minutes.
    let window = crate::sudo::WINDOW;
    let s = session(t0()).await;
    b.require_recent_sign_in(&s.session, t0() + window).unwrap();
    let later = t0() + window + TimeDelta::seconds(1);
    let r = b.require_recent_sign_in(&s.session, later);
    assert!(matches!(r, Err(Error::ReauthRequired)), "{r:?}");
    // A wrong password is a field error and changes nothing.
    let e = b
        .confirm_access(&session(later).await, "wrong password!", here, later)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "password");
    let r = b.require_recent_sign_in(&session(later).await.session, later);
    assert!(matches!(r, Err(Error::ReauthRequired)), "{r:?}");
    // The right one restarts the window.
    b.confirm_access(&session(later).await, "correct horse battery", here, later)
        .await
        .unwrap();
    b.require_recent_sign_in(&session(later).await.session, later + window)
        .unwrap();
    // An administrator can make every open session confirm again.
    assert_eq!(b.require_reauthentication("alice").await.unwrap(), 1);
    let r = b.require_recent_sign_in(&session(later).await.session, later);
    assert!(matches!(r, Err(Error::ReauthRequired)), "{r:?}");
}

async fn a_wrong_current_password_counts_as_a_failed_sign_in(b: &Backend) {
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let new = "a brand new passphrase";
    for _ in 0..b.config().limits.sign_in_pair.burst {
        let e = b
            .change_password(alice, 0, "wrong password!", new, t0())
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "current_password");
    }
    // Then even the right one waits, and nothing changes.
    let r = b
        .change_password(alice, 0, "correct horse battery", new, t0())
        .await;
    assert!(matches!(r, Err(Error::RateLimited(_))), "{r:?}");
    let right = creds("alice", "correct horse battery");
    b.sign_in(right, from("192.0.2.3"), t0(), &mut rng())
        .await
        .unwrap();
}

async fn sessions_beyond_the_cap_end_oldest_first_per_kind(b: &Backend) {
    b.create_user(input("alice"), t0()).await.unwrap();
    let right = creds("alice", "correct horse battery");
    let cap = crate::quota::SESSIONS;
    let mut rng = rng();
    let mut cookies = Vec::new();
    for i in 0..cap {
        let at = t0() + TimeDelta::seconds(i);
        let s = b
            .sign_in(right, from("192.0.2.4"), at, &mut rng)
            .await
            .unwrap();
        cookies.push(s.cookie);
    }
    // API logins are capped apart: they end no browser session.
    let later = t0() + TimeDelta::seconds(cap + 1);
    b.api_login(right, from("192.0.2.4"), later, &mut rng)
        .await
        .unwrap();
    b.session_user(cookies[0].expose(), later).await.unwrap();
    // One browser session more ends the one seen least recently, only that one.
    b.sign_in(right, from("192.0.2.4"), later, &mut rng)
        .await
        .unwrap();
    let first = b.session_user(cookies[0].expose(), later).await;
    assert!(matches!(first, Err(Error::NotSignedIn)), "{first:?}");
    b.session_user(cookies[1].expose(), later).await.unwrap();
}
