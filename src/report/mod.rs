//! Reports over one or many run directories: rebuilding summaries from what the journal
//! reader returns ([`rebuild`], [`summary`]), the summary formats and the one place that
//! writes them ([`export`]), how the scoring protocols differ on a run ([`protocols`]), the
//! perception-versus-reasoning report ([`decouple`]) and the
//! HTML pieces reports share ([`html`]).

pub mod ablation;
pub mod compare;
pub mod cost;
pub mod decouple;
pub mod export;
pub mod html;
pub mod leaderboard;
pub mod protocols;
pub mod rebuild;
pub mod summary;

pub use export::{ExportManager, Exporter, Format, Target};
pub use summary::Summary;
