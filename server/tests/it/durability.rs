//! Issue 13 §8: `keyward serve` killed with SIGKILL in the middle of a burst of mints and
//! revocations loses no acknowledged change and leaves no half-written row, on SQLite and on
//! PostgreSQL (this module runs on both, like the rest).

use std::sync::{Arc, Mutex};

use keyward_core::Role;

use crate::support::{ServeProcess, Site, TestDatabase, admin_backend, answer};

#[derive(Default)]
struct Acknowledged {
    /// `(id, value)` of each mint answered 200.
    minted: Vec<(i64, String)>,
    /// Ids of each revocation answered 200.
    revoked: Vec<i64>,
}

#[tokio::test]
async fn a_killed_server_keeps_every_acknowledged_mint_and_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::for_this_run(dir.path()).await;
    let backend = admin_backend(&db.url, dir.path()).await;
    let alice = crate::support::create_user(&backend, "alice", Role::User).await;
    let mut server = ServeProcess::start(&db.url, dir.path()).await;
    let browser = server.signed_in("alice").await;
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let expires_on = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();

    // Eight clients, each minting and revoking its previous token, as fast as they can,
    // until the server is gone (each loop is bounded).
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (browser, acked, base) = (browser.clone(), acked.clone(), server.base.clone());
            let expires_on = expires_on.clone();
            tokio::spawn(async move {
                let mut previous: Option<i64> = None;
                for i in 0..10_000 {
                    let form = [
                        ("name", format!("burst-{w}-{i}")),
                        ("expires_on", expires_on.clone()),
                    ];
                    let Ok(res) = browser
                        .post(format!("{base}/rpc/create_api_token"))
                        .form(&form)
                        .send()
                        .await
                    else {
                        return;
                    };
                    // Once answered, the answer is a success: the burst is valid input.
                    assert_eq!(res.status(), 200, "mint {w}-{i}");
                    let Ok(body) = answer(res).await else {
                        return; // Killed while answering: not acknowledged.
                    };
                    let id = body["id"].as_i64().unwrap();
                    let value = body["token"].as_str().unwrap().to_string();
                    acked.lock().unwrap().minted.push((id, value));
                    if let Some(old) = previous.replace(id) {
                        let form = [("id", old.to_string())];
                        let Ok(res) = browser
                            .post(format!("{base}/rpc/revoke_api_token"))
                            .form(&form)
                            .send()
                            .await
                        else {
                            return;
                        };
                        assert_eq!(res.status(), 200, "revoke {old}");
                        if res.bytes().await.is_ok() {
                            acked.lock().unwrap().revoked.push(old);
                        }
                    }
                }
            })
        })
        .collect();
    // Let the burst run, then kill the server in the middle of it.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    server.kill();
    for w in workers {
        w.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.minted.len() >= 20,
        "the burst was under way: {} mints",
        acked.minted.len()
    );
    assert!(!acked.revoked.is_empty());
    eprintln!(
        "killed after {} acknowledged mints and {} revocations",
        acked.minted.len(),
        acked.revoked.len()
    );

    // A new server on the same database: what was acknowledged is there, exactly.
    let restarted = ServeProcess::start(&db.url, dir.path()).await;
    let rows = db.raw_api_tokens().await;
    let stored: std::collections::HashMap<i64, (&str, bool)> = rows
        .iter()
        .map(|(id, prefix, revoked)| (*id, (prefix.as_str(), *revoked)))
        .collect();
    for id in &acked.revoked {
        let row = stored.get(id);
        assert!(
            matches!(row, Some((_, true))),
            "token {id}: revocation acknowledged, then lost"
        );
    }
    for (id, value) in &acked.minted {
        // A revocation may have been sent and carried out without its answer arriving:
        // revoked or not, the row is there, whole.
        let row = stored.get(id);
        assert_eq!(
            row.map(|r| r.0),
            Some(&value[..12]),
            "token {id}: mint acknowledged, then lost"
        );
    }
    // Every token still live works: its hash was stored whole.
    let mut live = 0;
    for (id, value) in &acked.minted {
        if stored[id].1 {
            continue;
        }
        let (status, body) = restarted.whoami(value).await;
        assert_eq!(status, 200, "token {id}: {body}");
        live += 1;
    }
    assert!(live >= 1);
    // No half-written row: every stored token (also one minted but not acknowledged before
    // the kill) has its prefix and belongs to the burst.
    for t in backend.list_api_tokens(alice).await.unwrap() {
        assert!(
            t.display_prefix.starts_with("kwat_") && t.display_prefix.len() == 12,
            "{t:?}"
        );
        assert!(t.name.starts_with("burst-"), "{t:?}");
    }
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
}
