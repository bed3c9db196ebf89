//! The one question the viewer asks of each item: which class it is in (right, wrong,
//! unparsed, failed, truncated). Asked of whole records (item pages) and of the few fields
//! the run index reads from each journal line, with the same answer.

use crate::journal::{ItemRecord, Status};
use crate::score::How;

/// What kind of outcome an item had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Right,
    Wrong,
    Unparsed,
    Failed,
    Truncated,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Right,
        Class::Wrong,
        Class::Unparsed,
        Class::Failed,
        Class::Truncated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Right => "right",
            Class::Wrong => "wrong",
            Class::Unparsed => "unparsed",
            Class::Failed => "failed",
            Class::Truncated => "truncated",
        }
    }

    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The class's bit in [`Bits`].
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of classes, one bit per [`Class`].
pub type Bits = u8;

/// The classes of an outcome: exactly one of right (answered, the primary metric is 1),
/// wrong (answered, scored wrong), unparsed (nothing could be extracted) or failed; and
/// truncated besides when a call stopped at its token limit.
pub fn bits(status: Status, right: bool, how: Option<How>, truncated: bool) -> Bits {
    let main = match status {
        Status::Failed => Class::Failed,
        Status::Answered if right => Class::Right,
        Status::Answered if how == Some(How::Unparsed) => Class::Unparsed,
        Status::Answered => Class::Wrong,
    };
    main.bit() | if truncated { Class::Truncated.bit() } else { 0 }
}

/// The classes in `bits`, in [`Class::ALL`] order.
pub fn of_bits(bits: Bits) -> Vec<Class> {
    Class::ALL
        .into_iter()
        .filter(|c| bits & c.bit() != 0)
        .collect()
}

/// Whether an item is right by the run's primary metric.
pub fn is_right(r: &ItemRecord, metric: &str) -> bool {
    r.status == Status::Answered
        && r.metrics
            .as_ref()
            .and_then(|m| m.get(metric))
            .is_some_and(|v| *v >= 1.0)
}

/// The classes of a whole record (see [`bits`]).
pub fn classes(r: &ItemRecord, metric: &str) -> Vec<Class> {
    let truncated = r
        .calls
        .iter()
        .any(|c| c.finish_reason.as_deref() == Some("length"));
    of_bits(bits(r.status, is_right(r, metric), r.how, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_main_class_and_truncated_besides() {
        let b = bits(Status::Answered, true, Some(How::Rule), true);
        assert_eq!(of_bits(b), vec![Class::Right, Class::Truncated]);
        assert_eq!(
            of_bits(bits(Status::Answered, false, Some(How::Unparsed), false)),
            vec![Class::Unparsed]
        );
        assert_eq!(
            of_bits(bits(Status::Answered, false, Some(How::Rule), false)),
            vec![Class::Wrong]
        );
        // A failed item is failed whatever its metrics say.
        assert_eq!(
            of_bits(bits(Status::Failed, true, None, false)),
            vec![Class::Failed]
        );
        for c in Class::ALL {
            assert_eq!(Class::from_name(c.name()), Some(c));
        }
    }
}
