//! Prompt templates from suite cards: `{question}`, `{hint}`, `{hint_line}` ("Hint: ...\n",
//! or nothing when the item has no hint) and `{options}` ("A. ...\nB. ...") are filled from
//! the item, `{options_inline}` ("A: ..., B: ...", MMStar's own inline form, for lmms-eval's
//! MMStar prompt), and `{field:NAME}` from the item's field NAME (MMMU's prompt parts, which
//! differ between its multiple-choice and open questions). Unknown placeholders are kept
//! verbatim so a literal `{` in a prompt is never an error.

use crate::suite::Item;

/// Fills a template for one item.
pub fn render(template: &str, item: &Item) -> String {
    let options = item
        .choices
        .iter()
        .map(|c| format!("{}. {}", c.label, c.text))
        .collect::<Vec<_>>()
        .join("\n");
    let options_inline = item
        .choices
        .iter()
        .map(|c| format!("{}: {}", c.label, c.text))
        .collect::<Vec<_>>()
        .join(", ");
    let hint_line = match item.hint.as_deref().map(str::trim) {
        Some(h) if !h.is_empty() => format!("Hint: {h}\n"),
        _ => String::new(),
    };
    let field_keys: Vec<(String, &str)> = item
        .fields
        .iter()
        .filter(|_| template.contains("{field:"))
        .map(|(k, v)| (format!("{{field:{k}}}"), v.as_str()))
        .collect();
    let mut values = vec![
        ("{question}", item.question.as_str()),
        ("{hint}", item.hint.as_deref().unwrap_or("")),
        ("{hint_line}", &hint_line),
        ("{options}", &options),
        ("{options_inline}", &options_inline),
    ];
    values.extend(field_keys.iter().map(|(k, v)| (k.as_str(), *v)));
    crate::template::fill(template, &values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Choice;

    #[test]
    fn fills_placeholders_and_keeps_other_braces() {
        let item = Item {
            id: "x".into(),
            order: 0,
            source: "f:1".into(),
            question: "How many {bars}?".into(),
            hint: None,
            choices: vec![
                Choice {
                    label: "A".into(),
                    text: "1".into(),
                },
                Choice {
                    label: "B".into(),
                    text: "2".into(),
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            render("Q: {question}\n{options}\n{hint}{x}", &item),
            "Q: How many {bars}?\nA. 1\nB. 2\n{x}"
        );
        let mut item = item;
        item.fields.insert("tail".into(), "Say {question}.".into());
        assert_eq!(
            render("{question}|{field:tail}|{field:none}", &item),
            "How many {bars}?|Say {question}.|{field:none}"
        );
    }
}
