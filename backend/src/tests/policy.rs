//! The token settings: stored and read back, refused values change nothing, and a tighter
//! policy holds for the next mint while existing tokens keep their dates.

use keyward_core::policy::{Key, Policy, Settings};

use super::*;
use crate::db::AuditQuery;

on_both_databases!(
    settings_round_trip_and_refusals_change_nothing,
    a_tighter_policy_holds_at_once_and_spares_existing_tokens,
);

fn change(key: Key, value: &str) -> (Key, String) {
    (key, value.to_string())
}

async fn settings_events(b: &Backend) -> Vec<String> {
    let query = AuditQuery {
        action: Some("settings.changed".into()),
        limit: 100,
        ..AuditQuery::default()
    };
    let rows = b.audit_events(&query).await.unwrap();
    rows.into_iter().map(|r| r.target).collect()
}

async fn settings_round_trip_and_refusals_change_nothing(b: &Backend) {
    assert_eq!(b.settings().await.unwrap(), Settings::default());
    let url = "https://hooks.example.com/kw/s3cret-path";
    let changes = [
        change(Key::MaxTokenDays, "90"),
        change(Key::AllowNeverExpiring, "false"),
        change(Key::DefaultApiTokenDays, "14"),
        change(Key::MaxRotationGraceMinutes, "60"),
        change(Key::ExpiryWebhookUrl, url),
    ];
    let saved = b.change_settings(&changes, t0()).await.unwrap();
    let expected = Settings {
        policy: Policy {
            max_token_days: 90,
            allow_never_expiring: false,
            default_api_token_days: 14,
            max_rotation_grace_minutes: 60,
        },
        expiry_webhook_url: Some(url.into()),
    };
    assert_eq!(saved, expected);
    assert_eq!(b.settings().await.unwrap(), expected);
    // One event listing the changes, the URL by name only.
    let events = settings_events(b).await;
    assert_eq!(
        events,
        [
            "max_token_days=90, allow_never_expiring=false, default_api_token_days=14, \
          max_rotation_grace_minutes=60, expiry_webhook_url"
        ]
    );

    // One bad value among good ones: nothing is stored, nothing is recorded.
    let mixed = [
        change(Key::MaxTokenDays, "30"),
        change(Key::MaxRotationGraceMinutes, "99999"),
    ];
    let err = b.change_settings(&mixed, t0()).await.unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref e) if e.field == "max_rotation_grace_minutes"),
        "{err:?}"
    );
    assert_eq!(b.settings().await.unwrap(), expected);
    // Saving the same values again records nothing either.
    b.change_settings(&changes, t0()).await.unwrap();
    assert_eq!(settings_events(b).await.len(), 1);

    // The first two keep their names from before the settings page; a value that no
    // longer validates (written by hand) falls back to the default instead of failing.
    b.repo()
        .put_setting("max_api_token_days", "120")
        .await
        .unwrap();
    b.repo()
        .put_setting("max_rotation_grace_minutes", "lots")
        .await
        .unwrap();
    b.repo()
        .put_setting("allow_never_expiring_service_tokens", "yes")
        .await
        .unwrap();
    let policy = b.policy().await.unwrap();
    assert_eq!(policy.max_token_days, 120);
    assert_eq!(
        policy.max_rotation_grace_minutes,
        Policy::default().max_rotation_grace_minutes
    );
    assert!(
        !policy.allow_never_expiring,
        "unreadable: the stricter choice"
    );
}

async fn a_tighter_policy_holds_at_once_and_spares_existing_tokens(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let long = b
        .mint_api_token(uid, "long", date(300), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();

    b.change_settings(&[change(Key::MaxTokenDays, "30")], t0())
        .await
        .unwrap();
    for (days, ok) in [(30, true), (31, false)] {
        let minted = b
            .mint_api_token(uid, "new", date(days), &Default::default(), t0(), &mut rng)
            .await;
        assert_eq!(minted.is_ok(), ok, "{days} days: {minted:?}");
    }
    let err = b
        .edit_api_token_expiry(uid, long.id, date(31), t0(), &mut rng)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(ref e) if e.field == "expires_at"));

    // The long token keeps its date (and works), and is beyond the policy now.
    let tokens = b.list_api_tokens(uid).await.unwrap();
    let kept = tokens.iter().find(|t| t.id == long.id).unwrap();
    assert_eq!(kept.expires_at, long.expires_at);
    b.authenticate_bearer(Some(&bearer(long.secret.expose())), None, t0())
        .await
        .unwrap();
    let policy = b.policy().await.unwrap();
    assert!(policy.beyond(Some(kept.expires_at), t0()));
    let fresh = tokens.iter().find(|t| t.name == "new").unwrap();
    assert!(!policy.beyond(Some(fresh.expires_at), t0()));
}
