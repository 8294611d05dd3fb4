//! Open-text comments: pure text rules the server applies at submission.
//!
//! Redaction runs before anything is stored, so no unredacted text reaches the database; the
//! review list holds a comment back for an admin; themes tag a comment with areas of worklife.

pub mod redact;
pub mod review;
pub mod themes;

pub use redact::{redact, Names, Redacted};
pub use review::{Concern, ReviewList};
pub use themes::{themes, themes_of, Theme};

/// Lowercases a word and spells German umlauts and ß as ae/oe/ue/ss, other Latin accents
/// plainly (é → e), and drops apostrophes, so "Müller", "MUELLER" and "Mueller" compare equal
/// and "O'Neill" equals "ONeill".
pub(crate) fn fold_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 4);
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            '\'' | '’' => {}
            _ => out.push(plain_letter(c)),
        }
    }
    out
}

/// The base letter of an accented Latin letter (the common ones in European names).
fn plain_letter(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => 'a',
        'ç' | 'č' | 'ć' => 'c',
        'ğ' => 'g',
        'ı' => 'i',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ů' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' | 'ş' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        _ => c,
    }
}

/// Whether a char belongs inside a word: a letter, or an apostrophe (checked by the caller to
/// sit between letters).
pub(crate) fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

/// The words of a text as byte ranges: runs of letters and digits, with apostrophes kept
/// inside a word when a letter follows ("O'Neill", "Peter's", "don't").
pub(crate) fn word_ranges(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = chars[i].0;
        let mut j = i + 1;
        while j < chars.len() {
            let c = chars[j].1;
            let inner_apostrophe =
                is_apostrophe(c) && chars.get(j + 1).is_some_and(|&(_, n)| n.is_alphabetic());
            if c.is_alphanumeric() || inner_apostrophe {
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
        words.push((start, end));
        i = j;
    }
    words
}
