//! The cards shipped with evalkit (`adapters/*.toml` and `datasets/*.toml`), built into
//! the binary so an installed or moved `evalkit` lists and runs them from any directory.
//!
//! A shipped card is named by a path that no file has, `<shipped>/adapters/NAME.toml`:
//! errors name it like any card file, and [`super::read_card`] takes its text from here.
//! A relative path inside a shipped card (an ONNX `model_dir`) has no card folder to be
//! relative to; the adapters resolve it against evalkit's cache instead.
//!
//! `include_dir!` embeds every file's bytes and Cargo rebuilds when one of them changes;
//! a card *added* to either folder is seen on the next build that recompiles this crate
//! (`touch src/card/shipped.rs`).

use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::find::CardKind;

static ADAPTERS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/adapters");
static DATASETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/datasets");

/// The first component of a shipped card's path.
pub const ROOT: &str = "<shipped>";

/// One card built into evalkit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippedCard {
    /// The file stem: what `--model` or `--suite` takes.
    pub name: String,
    /// `<shipped>/adapters/NAME.toml`: how errors and `evalkit list` name it.
    pub path: PathBuf,
    pub text: &'static str,
}

fn dir(kind: CardKind) -> &'static Dir<'static> {
    match kind {
        CardKind::Model => &ADAPTERS,
        CardKind::Suite => &DATASETS,
    }
}

/// Every shipped card of `kind`, sorted by name.
pub fn cards(kind: CardKind) -> Vec<ShippedCard> {
    let mut cards: Vec<ShippedCard> = dir(kind)
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        .filter_map(|f| {
            let file = f.path().file_name()?.to_str()?;
            Some(ShippedCard {
                name: file.strip_suffix(".toml")?.to_string(),
                path: Path::new(ROOT).join(kind.folder()).join(file),
                text: f.contents_utf8()?,
            })
        })
        .collect();
    cards.sort_by(|a, b| a.name.cmp(&b.name));
    cards
}

/// The shipped card of `kind` called `name`.
pub fn find(kind: CardKind, name: &str) -> Option<ShippedCard> {
    cards(kind).into_iter().find(|c| c.name == name)
}

/// The text of the shipped card `path` names (`<shipped>/adapters/NAME.toml`), if any.
pub fn text(path: &Path) -> Option<&'static str> {
    let mut parts = path.components();
    let (
        Some(Component::Normal(root)),
        Some(Component::Normal(folder)),
        Some(Component::Normal(file)),
        None,
    ) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if root != ROOT {
        return None;
    }
    let kind = [CardKind::Model, CardKind::Suite]
        .into_iter()
        .find(|k| folder == k.folder())?;
    dir(kind).get_file(file.to_str()?)?.contents_utf8()
}

/// Whether `path` names a card shipped inside evalkit rather than a file.
pub fn is_shipped(path: &Path) -> bool {
    text(path).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_card_in_the_source_folders_is_shipped() {
        for kind in [CardKind::Model, CardKind::Suite] {
            let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind.folder());
            let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
                .unwrap()
                .filter_map(|e| {
                    let path = e.ok()?.path();
                    (path.extension()? == "toml").then(|| super::super::model::stem(&path))
                })
                .collect();
            on_disk.sort();
            let shipped: Vec<String> = cards(kind).into_iter().map(|c| c.name).collect();
            assert_eq!(
                shipped, on_disk,
                "rebuild after adding a card to {folder:?}"
            );
            for card in cards(kind) {
                assert!(is_shipped(&card.path), "{:?}", card.path);
                assert_eq!(text(&card.path), Some(card.text));
                let disk = std::fs::read_to_string(folder.join(format!("{}.toml", card.name)));
                assert_eq!(disk.unwrap(), card.text);
            }
        }
    }

    #[test]
    fn every_shipped_card_loads_from_its_shipped_path() {
        for card in cards(CardKind::Model) {
            let model = super::super::model::ModelCard::load(&card.path)
                .unwrap_or_else(|e| panic!("{e:#}"));
            assert_eq!(model.name, card.name);
            assert_eq!(model.path, card.path);
        }
        for card in cards(CardKind::Suite) {
            let path = if super::super::group::GroupCard::is_group(&card.path) {
                super::super::group::GroupCard::load(&card.path)
                    .unwrap_or_else(|e| panic!("{e:#}"))
                    .path
            } else {
                super::super::suite::SuiteCard::load(&card.path)
                    .unwrap_or_else(|e| panic!("{e:#}"))
                    .path
            };
            assert_eq!(path, card.path);
        }
        // Errors name the shipped path.
        let err = super::super::model::ModelCard::parse(
            "kind = \"openai\"\n",
            Path::new("<shipped>/adapters/vllm.toml"),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("<shipped>/adapters/vllm.toml"),
            "{err}"
        );
    }

    #[test]
    fn only_shipped_paths_are_shipped() {
        for path in [
            "<shipped>/adapters/nope.toml",
            "<shipped>/adapters",
            "<shipped>/models/vllm.toml",
            "adapters/vllm.toml",
            "/<shipped>/adapters/vllm.toml",
            "<shipped>/adapters/vllm.toml/x",
            "",
        ] {
            assert!(!is_shipped(Path::new(path)), "{path}");
        }
        assert!(is_shipped(Path::new("<shipped>/adapters/vllm.toml")));
        assert!(is_shipped(Path::new("<shipped>/datasets/chartqa.toml")));
    }
}
