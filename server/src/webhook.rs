//! The expiry webhook's HTTP client: POSTs each event with its headers and takes any 2xx
//! answer as delivered. Redirects are not followed (a receiver that moved is a failure to
//! fix in the setting), no proxy is used, and a receiver gets 10 seconds.

use std::time::Duration;

use async_trait::async_trait;
use keyward_backend::notices::{Deliver, Delivery};

pub struct Webhook {
    client: reqwest::Client,
}

impl Webhook {
    pub fn new() -> Result<Webhook, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Straight to the receiver: an HTTP(S)_PROXY of the environment would see the
            // events of a plain-http receiver in the clear.
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("keyward/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot make the webhook's HTTP client: {e}"))?;
        Ok(Webhook { client })
    }
}

#[async_trait]
impl Deliver for Webhook {
    async fn deliver(&self, d: &Delivery<'_>) -> Result<(), String> {
        let answer = (self.client.post(d.url))
            .header("content-type", "application/json")
            .header("keyward-event", keyward_core::notice::ExpiryEvent::EVENT)
            .header("keyward-delivery", d.delivery_id)
            .header("keyward-signature", d.signature)
            .body(d.body.to_owned())
            .send()
            .await
            .map_err(described)?;
        match answer.status() {
            s if s.is_success() => Ok(()),
            s => Err(format!("the receiver answered HTTP {}", s.as_u16())),
        }
    }
}

/// The error and its causes ("... : tcp connect error: Connection refused"), without the
/// URL: it may carry a secret path, and this text is stored and logged.
fn described(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}
