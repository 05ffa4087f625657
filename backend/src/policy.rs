//! The installation's token settings ([`keyward_core::policy`]), stored in the `settings`
//! table and read at each use, so a change holds from the next request on every instance.

use chrono::{DateTime, Utc};
use keyward_core::policy::{Key, Policy, Settings};

use crate::audit::{Action, Event};
use crate::{Backend, Error};

/// Where each setting is stored. The first two kept the names they had before the settings
/// page existed, so an installation's earlier choices still hold.
fn stored_key(key: Key) -> &'static str {
    match key {
        Key::MaxTokenDays => "max_api_token_days",
        Key::AllowNeverExpiring => "allow_never_expiring_service_tokens",
        Key::DefaultApiTokenDays => "default_api_token_days",
        Key::MaxRotationGraceMinutes => "max_rotation_grace_minutes",
        Key::ExpiryWebhookUrl => "expiry_webhook_url",
    }
}

impl Backend {
    /// Every setting, in one query. A stored value that no longer passes validation (written
    /// by hand, say) is logged and the default used (for the never-expiring switch: off),
    /// rather than refusing every mint.
    pub async fn settings(&self) -> Result<Settings, Error> {
        let keys = Key::ALL.map(stored_key);
        let stored = self.repo.settings_of(&keys).await?;
        let mut settings = Settings::default();
        for key in Key::ALL {
            let Some((_, value)) = stored.iter().find(|(k, _)| k == stored_key(key)) else {
                continue;
            };
            if let Err(e) = settings.set(key, value) {
                tracing::warn!(setting = %key, error = %e.message, "ignoring a stored setting");
                // Of the two choices, the stricter: an unreadable switch allows nothing.
                if key == Key::AllowNeverExpiring {
                    settings.policy.allow_never_expiring = false;
                }
            }
        }
        Ok(settings)
    }

    /// The lifetime policy the token forms and services follow.
    pub async fn policy(&self) -> Result<Policy, Error> {
        Ok(self.settings().await?.policy)
    }

    /// Changes settings (`keyward admin settings set`, `/admin/settings`): all are validated
    /// first and stored in one transaction, so a refused value changes nothing. The audit
    /// event names each changed setting, with its new value except the webhook URL's (which
    /// may carry a secret path).
    pub async fn change_settings(
        &self,
        changes: &[(Key, String)],
        now: DateTime<Utc>,
    ) -> Result<Settings, Error> {
        let before = self.settings().await?;
        let mut after = before.clone();
        for (key, value) in changes {
            after.set(*key, value)?;
        }
        let changed: Vec<Key> = Key::ALL
            .into_iter()
            .filter(|k| before.get(*k) != after.get(*k))
            .collect();
        if changed.is_empty() {
            return Ok(after);
        }
        let pairs: Vec<_> = changed
            .iter()
            .map(|k| (stored_key(*k), after.get(*k)))
            .collect();
        self.repo.put_settings(&pairs).await?;
        let target = changed
            .iter()
            .map(|k| match k {
                Key::ExpiryWebhookUrl => k.to_string(),
                _ => format!("{k}={}", after.get(*k)),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let event = Event::success(None, Action::SettingsChanged, &target);
        self.audit(event, now).await;
        Ok(after)
    }
}
