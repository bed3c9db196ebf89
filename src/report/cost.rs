//! What a strategy spent to get its answers, next to what it gained: calls, requests
//! (calls that reached a model rather than the cache or the journal), prompt and
//! completion tokens, per role (answer, perceive, reason, judge), in total and per item.
//! Counted from the journal's records, so it is the same whichever session made the calls
//! and however often the run was resumed.

use crate::journal::ItemRecord;
pub use crate::journal::summary::{Cost, FormatFollowed, RoleCost};

/// Counts the cost of `records` (the latest record of each item).
pub fn of(records: &[ItemRecord]) -> Cost {
    let mut tally = Tally::default();
    for record in records {
        tally.add(record);
    }
    tally.finish()
}

/// [`of`] one record at a time (a streamed journal).
#[derive(Default)]
pub struct Tally {
    cost: Cost,
    followed: u64,
    asked: u64,
}

impl Tally {
    pub fn add(&mut self, record: &ItemRecord) {
        let cost = &mut self.cost;
        cost.items += 1;
        if let Some(f) = record.format_followed {
            self.asked += 1;
            self.followed += u64::from(f);
        }
        if record.calls.is_empty() {
            // Journals from before calls were recorded: the record is one answer call.
            add(cost, "answer", record.usage);
            return;
        }
        for call in &record.calls {
            let role = call.role.map_or("answer", |r| r.name());
            add(cost, role, call.usage);
        }
    }

    pub fn finish(self) -> Cost {
        let Tally {
            mut cost,
            followed,
            asked,
        } = self;
        let items = cost.items.max(1) as f64;
        for role in cost
            .by_role
            .values_mut()
            .chain(std::iter::once(&mut cost.total))
        {
            role.calls_per_item = round2(role.calls as f64 / items);
            role.prompt_tokens_per_item = round2(role.prompt_tokens as f64 / items);
            role.completion_tokens_per_item = round2(role.completion_tokens as f64 / items);
        }
        if asked > 0 {
            cost.format_followed = Some(FormatFollowed {
                followed,
                of: asked,
                rate: round2(100.0 * followed as f64 / asked as f64),
            });
        }
        cost
    }
}

fn add(cost: &mut Cost, role: &str, usage: Option<crate::adapter::Usage>) {
    let usage = usage.unwrap_or_default();
    for entry in [
        cost.by_role.entry(role.to_string()).or_default(),
        &mut cost.total,
    ] {
        entry.calls += 1;
        entry.prompt_tokens += usage.prompt_tokens;
        entry.completion_tokens += usage.completion_tokens;
        entry.reasoning_tokens += usage.reasoning_tokens;
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
