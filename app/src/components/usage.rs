//! Usage on both token cards: a row's **Usage** button and the dialog with the requests per
//! day of the last 30 days (a bar chart drawn here as SVG, with the same figures as text
//! for screen readers) and the latest client addresses.

use keyward_core::usage::Usage;
use leptos::prelude::*;

use super::{Modal, TokenRef, deferred};
use crate::rpc::usage::token_usage;
use crate::types::format_time;

/// A row's Usage button: opens the dialog for `token`.
#[component]
pub fn UsageButton(token: TokenRef, viewing: RwSignal<Option<TokenRef>>) -> impl IntoView {
    let for_dialog = token.clone();
    view! {
        <super::tokens::RowButton
            token
            label="Usage"
            on_click=move || viewing.set(Some(for_dialog.clone()))
        />
    }
}

/// "Usage" of one token: `kind` is `api_token` or `service_token`. Loaded when it opens.
#[component]
pub fn UsageDialog(kind: &'static str, viewing: RwSignal<Option<TokenRef>>) -> impl IntoView {
    view! {
        <Modal
            open=Signal::derive(move || viewing.get().is_some())
            title="Usage"
            on_close=move |_| viewing.set(None)
        >
            {move || viewing.get().map(|token| deferred(move || usage_body(kind, token.clone(), viewing)))}
        </Modal>
    }
}

/// The dialog's body (a separate chunk: see `deferred`).
#[lazy]
fn usage_body(kind: &'static str, token: TokenRef, viewing: RwSignal<Option<TokenRef>>) -> AnyView {
    let id = token.id;
    let usage = LocalResource::new(move || token_usage(kind.to_string(), id));
    view! {
        <p>
            "“" {token.name.clone()} "” (" <code>{token.display_prefix.clone()}"…"</code> ")"
        </p>
        <Suspense fallback=|| view! { <p>"Loading usage…"</p> }>
            {move || Suspend::new(async move {
                match usage.await {
                    Ok(usage) => view! { <UsageFigures usage/> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                        .into_any(),
                }
            })}
        </Suspense>
        <div class="buttons">
            <button type="button" class="secondary" on:click=move |_| viewing.set(None)>
                "Close"
            </button>
        </div>
    }
    .into_any()
}

/// The chart's size in SVG units: one bar per day.
const BAR: u32 = 10;
const HEIGHT: u32 = 80;
const LABELS: u32 = 16;

/// A day's bar, in units of [`HEIGHT`]: `requests` of the busiest day's `max`, rounded to
/// the nearest unit, and at least 1.
fn bar_height(requests: u64, max: u64) -> u32 {
    let max = max.max(1);
    let units =
        (u128::from(requests) * u128::from(HEIGHT) * 2 + u128::from(max)) / (2 * u128::from(max));
    u32::try_from(units).unwrap_or(HEIGHT).clamp(1, HEIGHT)
}

#[component]
fn UsageFigures(usage: Usage) -> impl IntoView {
    let summary = usage.summary();
    let width = BAR * usage.days.len() as u32;
    let max = usage.days.iter().map(|d| d.requests).max().unwrap_or(0);
    let bars = usage
        .days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.requests > 0)
        .map(|(i, d)| {
            // At least one unit high, so a single request still shows. In whole units,
            // rounded to the nearest, with integers: no float formatting in the WASM.
            let h = bar_height(d.requests, max);
            view! {
                <rect
                    x=(i as u32 * BAR + 1).to_string()
                    y=(HEIGHT - h).to_string()
                    width=(BAR - 2).to_string()
                    height=h.to_string()
                />
            }
        })
        .collect_view();
    let (first, last) = (
        usage.days.first().map(|d| d.date.to_string()),
        usage.days.last().map(|d| d.date.to_string()),
    );
    let busy_days: Vec<_> = usage
        .days
        .iter()
        .filter(|d| d.requests > 0)
        .copied()
        .collect();
    view! {
        <p class="usage-summary">{summary.clone()}</p>
        <svg
            class="usage-chart"
            role="img"
            aria-label=format!("Requests per day, last 30 days. {summary}")
            viewBox=format!("0 0 {width} {}", HEIGHT + LABELS)
        >
            <line x1="0" y1=HEIGHT.to_string() x2=width.to_string() y2=HEIGHT.to_string()/>
            {bars}
            <text x="0" y=(HEIGHT + LABELS - 3).to_string()>{first}</text>
            <text x=width.to_string() y=(HEIGHT + LABELS - 3).to_string() text-anchor="end">
                {last}
            </text>
        </svg>
        <details>
            <summary>"Requests per day"</summary>
            {if busy_days.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <table class="usage-days" aria-label="Requests per day">
                        <thead><tr><th scope="col">"Day"</th><th scope="col">"Requests"</th></tr></thead>
                        <tbody>
                            {busy_days.into_iter().map(|d| view! {
                                <tr><td>{d.date.to_string()}</td><td>{d.requests}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </details>
        <h3>"Last used from"</h3>
        {if usage.recent_ips.is_empty() {
            view! { <p class="muted">"Not used yet."</p> }.into_any()
        } else {
            view! {
                <table class="usage-ips" aria-label="Last used from">
                    <thead><tr><th scope="col">"Address"</th><th scope="col">"Last seen"</th></tr></thead>
                    <tbody>
                        {usage.recent_ips.into_iter().map(|s| view! {
                            <tr><td><code>{s.ip}</code></td><td>{format_time(s.last_seen)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::{HEIGHT, bar_height};

    #[test]
    fn bars_are_rounded_to_whole_units_and_never_empty() {
        assert_eq!(bar_height(10, 10), HEIGHT);
        assert_eq!(bar_height(5, 10), HEIGHT / 2);
        // 1 of 1,000 is 0.08 units: still one, so the day shows.
        assert_eq!(bar_height(1, 1_000), 1);
        // 1 of 3 is 26.67 units: 27; 1 of 6 is 13.33: 13.
        assert_eq!(bar_height(1, 3), 27);
        assert_eq!(bar_height(1, 6), 13);
        assert_eq!(bar_height(u64::MAX, u64::MAX), HEIGHT);
        assert_eq!(bar_height(3, 0), HEIGHT);
    }
}
