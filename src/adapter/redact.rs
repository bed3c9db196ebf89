//! Secrets out of everything evalkit writes: the API key and a password in `base_url`
//! must never reach a journal, a manifest, a report or a message, also when a server
//! echoes them back in an error body, raw, percent-encoded or inside base64 (an echoed
//! `Authorization: Basic ...` or a base64 dump of the request's headers). Base64 is
//! matched at all three byte alignments, so the key is found inside any larger encoded
//! blob (`Bearer <key>` included).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Every form of `secrets` worth searching for, longest first (empty and very short
/// fragments are left out: they would redact ordinary text).
pub fn forms<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
        out.push(secret.to_string());
        for lower in [false, true] {
            for keep in [&b"-._~"[..], b""] {
                out.push(percent_encode(secret, lower, keep));
            }
        }
        for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
            for align in 0..3 {
                out.push(base64_core(&engine, secret.as_bytes(), align));
            }
        }
    }
    out.retain(|f| f.len() >= 6);
    out.sort_by_key(|f| std::cmp::Reverse(f.len()));
    out.dedup();
    out
}

/// `text` with every form replaced by [`REDACTED`].
pub fn redact(text: &str, forms: &[String]) -> String {
    let mut out = text.to_string();
    for form in forms {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), REDACTED);
        }
    }
    out
}

/// Percent-encodes every byte but letters, digits and `keep` (RFC 3986's unreserved
/// `-._~`, or nothing as some encoders do), in upper or lower hex.
fn percent_encode(text: &str, lower: bool, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The base64 characters determined by `bytes` alone when they start `align` bytes (0..3)
/// into an encoded stream: what any base64 text containing them contains.
fn base64_core(engine: &impl Engine, bytes: &[u8], align: usize) -> String {
    let mut padded = vec![0u8; align];
    padded.extend_from_slice(bytes);
    let encoded = engine.encode(&padded);
    let start = (align * 8).div_ceil(6);
    let end = (padded.len() * 8) / 6;
    encoded.get(start..end).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_and_alignment_is_redacted() {
        let key = "sk-SECRET/9f8e+7d6c";
        let forms = forms([key]);
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        for text in [
            format!("echo {key} end"),
            format!("echo {} end", percent_encode(key, false, b"-._~")),
            format!("echo {} end", percent_encode(key, true, b"")),
            format!("echo {} end", b64(&format!("Bearer {key}"))),
            format!("echo {} end", b64(&format!("x:{key}"))),
            format!("echo {} end", b64(&format!("ab{key}"))),
        ] {
            let out = redact(&text, &forms);
            assert!(out.contains(REDACTED), "{text} -> {out}");
            assert!(!out.contains("SECRET"), "{out}");
            assert!(!out.contains(&b64(key)[..12]), "{out}");
        }
        assert_eq!(redact("nothing here", &forms), "nothing here");
    }
}
