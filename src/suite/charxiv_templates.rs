//! CharXiv's names, shared by the loader ([`super::charxiv`]) and the scorer
//! (`score::charxiv`): the 19 descriptive templates (id, short name, skill, grading rubric),
//! the four reasoning instruction categories, and the reader of CharXiv's sectioned prompt
//! files (`prompts/charxiv_*.txt`). They live with the data (princeton-nlp/CharXiv
//! `src/constants.py`, VLMEvalKit `vlmeval/dataset/charxiv.py`), below the scorer that uses them.

use std::collections::BTreeMap;

/// The descriptive templates: id, short name (the `question_type` breakdown), the coarse
/// skill VLMEvalKit and the paper report, and the grading rubric `get_rubric` picks.
pub const TEMPLATES: [(u8, &str, &str, &str); 19] = [
    (1, "title", "Information Extraction", "title"),
    (2, "x_axis_label", "Information Extraction", "ocr"),
    (3, "y_axis_label", "Information Extraction", "ocr"),
    (4, "x_tick_leftmost", "Information Extraction", "ocr"),
    (5, "x_tick_rightmost", "Information Extraction", "ocr"),
    (6, "y_tick_lowest", "Information Extraction", "ocr"),
    (7, "y_tick_highest", "Information Extraction", "ocr"),
    (8, "x_tick_step", "Enumeration", "quant"),
    (9, "y_tick_step", "Enumeration", "quant"),
    (10, "line_count", "Counting", "quant"),
    (11, "lines_intersect", "Pattern Recognition", "bool"),
    (12, "legend_label_count", "Counting", "quant"),
    (13, "legend_labels", "Enumeration", "enum"),
    (14, "colorbar_range", "Enumeration", "quant"),
    (15, "colorbar_max", "Enumeration", "quant"),
    (16, "trend", "Pattern Recognition", "trend"),
    (17, "labeled_tick_count", "Compositionality", "quant"),
    (18, "subplot_layout", "Pattern Recognition", "layout"),
    (19, "subplot_count", "Counting", "quant"),
];

/// Reasoning `inst_category` 1-4 and their names.
pub const INST_CATEGORIES: [(u8, &str); 4] = [
    (1, "text-in-chart"),
    (2, "text-in-general"),
    (3, "number-in-chart"),
    (4, "number-in-general"),
];

/// The descriptive template's short name (`question_type`), e.g. 1 -> `title`.
pub fn question_type(qid: u8) -> Option<&'static str> {
    TEMPLATES.iter().find(|t| t.0 == qid).map(|t| t.1)
}

/// The grading rubric of a descriptive template (`title`, `ocr`, `quant`, ...), as
/// `get_rubric` picks it.
pub fn rubric(qid: u8) -> Option<&'static str> {
    TEMPLATES.iter().find(|t| t.0 == qid).map(|t| t.3)
}

/// The descriptive template's skill (`Information Extraction`, `Enumeration`, `Counting`,
/// `Pattern Recognition`, `Compositionality`), as VLMEvalKit groups them.
pub fn skill(qid: u8) -> Option<&'static str> {
    TEMPLATES.iter().find(|t| t.0 == qid).map(|t| t.2)
}

/// The name of a reasoning `inst_category`, e.g. 3 -> `number-in-chart`.
pub fn inst_category_name(category: u8) -> Option<&'static str> {
    INST_CATEGORIES
        .iter()
        .find(|c| c.0 == category)
        .map(|c| c.1)
}

/// The number of a reasoning category given by name or number (`number-in-chart` or `3`).
pub fn inst_category_number(text: &str) -> Option<u8> {
    let text = text.trim();
    INST_CATEGORIES
        .iter()
        .find(|c| c.1.eq_ignore_ascii_case(text) || c.0.to_string() == text)
        .map(|c| c.0)
}

/// Splits a sectioned prompt file (see the header of any `prompts/charxiv_*.txt`): a line
/// `=== NAME ===` starts a section whose text runs to the line break before the next such
/// line, or to the file's final line break. Lines before the first section are comments.
pub fn sections(text: &str) -> BTreeMap<&str, &str> {
    let mut markers = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some(name) = bare
            .strip_prefix("=== ")
            .and_then(|rest| rest.strip_suffix(" ==="))
        {
            markers.push((pos, pos + line.len(), name));
        }
        pos += line.len();
    }
    let mut out = BTreeMap::new();
    for (i, &(_, body_start, name)) in markers.iter().enumerate() {
        let end = match markers.get(i + 1) {
            Some(&(next_start, _, _)) => next_start.saturating_sub(1),
            None => text.len() - usize::from(text.ends_with('\n')),
        };
        out.insert(
            name,
            text.get(body_start..end.max(body_start)).unwrap_or(""),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_whitespace_exactly() {
        let text = "# comment\n=== a ===\n\nx  \n    \n=== b ===\ny\n";
        let s = sections(text);
        assert_eq!(s["a"], "\nx  \n    ");
        assert_eq!(s["b"], "y");
        assert_eq!(sections("=== only ===\nlast")["only"], "last");
        assert_eq!(sections("=== e ===\n=== f ===\nz\n")["e"], "");
    }

    #[test]
    fn names_and_categories() {
        assert_eq!(question_type(1), Some("title"));
        assert_eq!(question_type(19), Some("subplot_count"));
        assert_eq!(question_type(0), None);
        assert_eq!(skill(17), Some("Compositionality"));
        assert_eq!(inst_category_name(3), Some("number-in-chart"));
        assert_eq!(inst_category_number("Number-in-Chart"), Some(3));
        assert_eq!(inst_category_number("4"), Some(4));
        assert_eq!(inst_category_number("5"), None);
        assert_eq!(rubric(2), Some("ocr"));
    }
}
