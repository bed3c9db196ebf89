//! The chart-to-table task (`evalkit run --strategy chart-to-table`): the model is asked for
//! the chart's underlying data table with DePlot's instruction, and the answer is scored by
//! the `chart_to_table` scorer (RMS F1, RNSS) against the item's gold table. Items without a
//! gold table (ChartQA from a TSV or parquet copy: only the official release ships
//! `tables/`) fail with a message instead of scoring 0. Charts that carry several questions
//! send the same request each time, which the dispatcher's cache answers once.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::direct::Direct;
use super::{Outcome, Strategy};
use crate::card::suite::SuiteCard;
use crate::schedule::Dispatcher;
use crate::suite::Item;

/// DePlot's instruction (also what its VQA header shows).
pub const PROMPT: &str = "Generate underlying data table of the figure below:";

/// The suite card of the task: the same data under `<name>-table`, DePlot's instruction
/// (no per-question text) and the `chart_to_table` scorer.
pub fn suite_card(card: &SuiteCard) -> SuiteCard {
    let mut table = card.clone();
    table.name = format!("{}-table", card.name);
    table.scorer = "chart_to_table".into();
    table.prompt = PROMPT.into();
    table
}

/// Direct calls with the table instruction, for items that have a gold table.
pub struct ChartToTable {
    pub direct: Direct,
}

impl Strategy for ChartToTable {
    fn id(&self) -> String {
        format!("chart-to-table|{}", self.direct.id())
    }

    fn run<'a>(&'a self, item: &'a Item, dispatcher: &'a Dispatcher) -> BoxFuture<'a, Outcome> {
        async move {
            if item
                .fields
                .get("gold_table")
                .is_none_or(|t| t.trim().is_empty())
            {
                return Outcome {
                    answer: Err("the item has no gold table (field `gold_table`): chart-to-table needs data that ships the charts' tables, e.g. ChartQA's official release with its tables/ folder".into()),
                    calls: vec![],
                };
            }
            self.direct.run(item, dispatcher).await
        }
        .boxed()
    }
}
