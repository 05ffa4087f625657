//! One page of a token table: at most [`PAGE_SIZE`] rows of a list ordered newest first,
//! with the counts the table states ("1–50 of 1,000", "12 expired tokens hidden"). The
//! server cuts the page, so a profile with thousands of tokens sends fifty rows, not all of
//! them, and Hide expired counts across every page.

use serde::{Deserialize, Serialize};

/// Rows per page of a token table.
pub const PAGE_SIZE: usize = 50;

/// Where a page sits in its list. `page` is 1-based and always a page that exists (the
/// last one when a later page was asked for, say after revoking its last row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    pub page: usize,
    /// Rows left once Hide expired has applied: what the pages go through.
    pub total: usize,
    /// Rows of the list before Hide expired.
    pub all: usize,
    /// How many Hide expired took out (0 when it is off).
    pub hidden: usize,
}

impl PageInfo {
    pub fn pages(&self) -> usize {
        self.total.div_ceil(PAGE_SIZE).max(1)
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }

    /// "1–50 of 1,000": the 1-based positions of this page's rows (`None` when empty).
    pub fn range_text(&self) -> Option<String> {
        if self.total == 0 {
            return None;
        }
        let first = self.page.saturating_sub(1) * PAGE_SIZE + 1;
        let last = (first + PAGE_SIZE - 1).min(self.total);
        Some(format!(
            "{}–{} of {}",
            thousands(first),
            thousands(last),
            thousands(self.total)
        ))
    }
}

/// Page `page` (1-based; 0 reads as 1, past the end as the last) of `rows`, without the
/// expired ones when `hide_expired`.
pub fn page_of<T>(
    rows: Vec<T>,
    page: usize,
    hide_expired: bool,
    is_expired: impl Fn(&T) -> bool,
) -> (Vec<T>, PageInfo) {
    let all = rows.len();
    let kept: Vec<T> = if hide_expired {
        rows.into_iter().filter(|r| !is_expired(r)).collect()
    } else {
        rows
    };
    let total = kept.len();
    let mut info = PageInfo {
        page: 1,
        total,
        all,
        hidden: all - total,
    };
    info.page = page.clamp(1, info.pages());
    let rows = kept
        .into_iter()
        .skip((info.page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    (rows, info)
}

/// `1234567` as "1,234,567".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(n: usize) -> Vec<usize> {
        (0..n).collect()
    }

    #[test]
    fn pages_of_a_thousand_rows() {
        let (rows, info) = page_of(numbers(1000), 1, false, |_| false);
        assert_eq!(rows, numbers(50));
        assert_eq!(info.range_text().unwrap(), "1–50 of 1,000");
        assert_eq!(info.pages(), 20);
        assert!(!info.has_previous() && info.has_next());

        let (rows, info) = page_of(numbers(1000), 20, false, |_| false);
        assert_eq!(rows, (950..1000).collect::<Vec<_>>());
        assert_eq!(info.range_text().unwrap(), "951–1,000 of 1,000");
        assert!(info.has_previous() && !info.has_next());
    }

    #[test]
    fn a_page_past_the_end_is_the_last_and_page_zero_the_first() {
        let (rows, info) = page_of(numbers(51), 9, false, |_| false);
        assert_eq!((rows, info.page), (vec![50], 2));
        assert_eq!(info.range_text().unwrap(), "51–51 of 51");
        let (rows, info) = page_of(numbers(3), 0, false, |_| false);
        assert_eq!((rows, info.page), (numbers(3), 1));
        let (rows, info) = page_of(numbers(3), usize::MAX, false, |_| false);
        assert_eq!((rows, info.page), (numbers(3), 1));
    }

    #[test]
    fn hide_expired_filters_before_paging_and_counts_what_it_hid() {
        // Every odd row is expired: 60 of 120.
        let (rows, info) = page_of(numbers(120), 2, true, |n| n % 2 == 1);
        assert_eq!(rows, vec![100, 102, 104, 106, 108, 110, 112, 114, 116, 118]);
        assert_eq!(
            info,
            PageInfo {
                page: 2,
                total: 60,
                all: 120,
                hidden: 60
            }
        );
        assert_eq!(info.range_text().unwrap(), "51–60 of 60");
        // Off: nothing is hidden, even the expired rows.
        let (_, info) = page_of(numbers(120), 1, false, |n| n % 2 == 1);
        assert_eq!((info.total, info.hidden), (120, 0));
    }

    #[test]
    fn an_empty_list_is_one_empty_page() {
        let (rows, info) = page_of(Vec::<u8>::new(), 3, false, |_| false);
        assert!(rows.is_empty());
        assert_eq!((info.page, info.pages()), (1, 1));
        assert_eq!(info.range_text(), None);
        assert!(!info.has_previous() && !info.has_next());
    }

    #[test]
    fn thousands_groups_digits() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (123_456, "123,456"),
        ];
        for (n, text) in cases {
            assert_eq!(thousands(n), text);
        }
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
