//! Chinese (and mixed) text as the index keeps it: folded first, then cut three ways.
//!
//! Folding maps each character to one character, so every token keeps the byte offsets of
//! the text as written (snippets highlight the original): traditional characters to
//! simplified, full-width forms to half-width, letters to lower case.
//!
//! Cutting, each way a field of its own so one never drowns the other:
//! - [`Cut::Words`]: jieba's words of each run of Chinese, and the runs of letters and digits
//!   as they are (`app`, `c#`, `c++`, `1.5`, `5g`), positions one per token;
//! - [`Cut::Bigrams`]: every two adjacent Chinese characters (`密码` in `重置密码`, `处理` in
//!   `待处理`), and the runs of letters and digits, positions one per character, so a quoted
//!   phrase is its bigrams at consecutive positions;
//! - [`Cut::Chars`]: every Chinese character alone (a one-character query: `表`).
//!
//! Peers lose these: a word inside a longer one (Meilisearch #4874), two-character words under
//! a trigram index (SQLite), phrases under overlapping tokens (IK) or character-offset
//! positions (tantivy-jieba #15).

use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// One way to cut text into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    Words,
    Bigrams,
    Chars,
}

impl Cut {
    /// The tokenizer's name in the index.
    pub const fn name(self) -> &'static str {
        match self {
            Cut::Words => "zh_words",
            Cut::Bigrams => "zh_bigrams",
            Cut::Chars => "zh_chars",
        }
    }
}

/// Jieba's default dictionary, loaded once (it takes a while).
static JIEBA: LazyLock<Arc<Jieba>> = LazyLock::new(|| Arc::new(Jieba::new()));

/// Whether `c` is a Chinese character (the CJK ideographs' blocks).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// One character folded: full width to half, upper case to lower (where it stays one
/// character); Chinese characters are folded by [`fold`] with their neighbours.
fn fold_char(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// The text folded, character by character, with where each character starts in `text`:
/// traditional to simplified, full width to half, lower case.
pub fn fold(text: &str) -> Vec<(usize, char)> {
    // fast2s maps each character to exactly one (looking at its neighbours for the few
    // that depend on them); checked, and left as written where it does not.
    let simplified = fast2s::convert(text);
    let same_count = simplified.chars().count() == text.chars().count();
    text.char_indices()
        .zip(simplified.chars().map(Some).chain(std::iter::repeat(None)))
        .map(|((at, c), s)| {
            let c = if same_count { s.unwrap_or(c) } else { c };
            (at, fold_char(c))
        })
        .collect()
}

/// The text folded, as a string (what a query is matched as).
pub fn folded(text: &str) -> String {
    fold(text).into_iter().map(|(_, c)| c).collect()
}

/// A run of the folded text: Chinese characters, or letters and digits, with its byte
/// range in the original text and its characters' starts.
#[derive(Debug)]
struct Run {
    han: bool,
    /// (start in the original, folded character), and the end of the last one.
    chars: Vec<(usize, char)>,
    end: usize,
}

/// Whether `c` joins a run of letters and digits: `c#`, `c++`, `1.5`, `e-03` are one token
/// each (the joiners only between or after what they join).
fn latin(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

fn runs(text: &str) -> Vec<Run> {
    let folded = fold(text);
    let end_of = |i: usize| folded.get(i + 1).map_or(text.len(), |(at, _)| *at);
    let mut out: Vec<Run> = Vec::new();
    let mut i = 0;
    while i < folded.len() {
        let (_, c) = folded[i];
        if is_han(c) {
            let start = i;
            while i < folded.len() && is_han(folded[i].1) {
                i += 1;
            }
            out.push(Run {
                han: true,
                chars: folded[start..i].to_vec(),
                end: end_of(i - 1),
            });
        } else if latin(c) {
            let start = i;
            while i < folded.len() {
                let c = folded[i].1;
                let next = folded.get(i + 1).map(|x| x.1);
                let prev = folded[i.saturating_sub(1)].1;
                let joins = latin(c)
                    || (matches!(c, '#' | '+') && i > start && (latin(prev) || prev == '+'))
                    || (matches!(c, '.' | '-' | '_')
                        && i > start
                        && latin(prev)
                        && next.is_some_and(latin));
                if !joins {
                    break;
                }
                i += 1;
            }
            out.push(Run {
                han: false,
                chars: folded[start..i].to_vec(),
                end: end_of(i - 1),
            });
        } else {
            i += 1;
        }
    }
    out
}

/// The tokens of `text` cut one way.
pub fn tokens(text: &str, cut: Cut) -> Vec<Token> {
    let mut out = Vec::new();
    let mut position = 0;
    let token = |from: usize, to: usize, position: usize, text: String| Token {
        offset_from: from,
        offset_to: to,
        position,
        text,
        position_length: 1,
    };
    for run in runs(text) {
        let end_at = |i: usize| run.chars.get(i + 1).map_or(run.end, |(at, _)| *at);
        if !run.han {
            // A Latin or digit run: one token, in every cut.
            let word: String = run.chars.iter().map(|(_, c)| *c).collect();
            out.push(token(run.chars[0].0, run.end, position, word));
            position += 1;
            continue;
        }
        match cut {
            Cut::Chars => {
                for (i, (at, c)) in run.chars.iter().enumerate() {
                    out.push(token(*at, end_at(i), position, c.to_string()));
                    position += 1;
                }
            }
            Cut::Bigrams => {
                for (i, w) in run.chars.windows(2).enumerate() {
                    out.push(token(
                        w[0].0,
                        end_at(i + 1),
                        position + i,
                        [w[0].1, w[1].1].iter().collect(),
                    ));
                }
                if run.chars.len() == 1 {
                    // A character alone between other things is its own token here.
                    out.push(token(
                        run.chars[0].0,
                        run.end,
                        position,
                        run.chars[0].1.to_string(),
                    ));
                }
                position += run.chars.len();
            }
            Cut::Words => {
                let s: String = run.chars.iter().map(|(_, c)| *c).collect();
                for w in JIEBA.cut(&s, true) {
                    // Jieba's positions are characters of the folded run: the run's own.
                    let from = run.chars[w.start].0;
                    out.push(token(from, end_at(w.end - 1), position, w.word.to_string()));
                    position += 1;
                }
            }
        }
    }
    out
}

/// The tokenizer of one cut, as tantivy asks for it.
#[derive(Debug, Clone, Copy)]
pub struct ZhTokenizer(pub Cut);

/// Tokens made ahead, handed out one by one.
#[derive(Debug)]
pub struct Tokens {
    tokens: Vec<Token>,
    at: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        if self.at < self.tokens.len() {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens {
            tokens: tokens(text, self.0),
            at: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, cut: Cut) -> Vec<(String, usize)> {
        tokens(text, cut)
            .into_iter()
            .map(|t| (t.text, t.position))
            .collect()
    }

    #[test]
    fn folding_keeps_one_character_for_one() {
        assert_eq!(folded("水錶計量不準"), "水表计量不准");
        assert_eq!(folded("ＡＰＰ登錄　Ｃ＃"), "app登录 c#");
        let text = "寬帶ＡＢ";
        for t in tokens(text, Cut::Chars) {
            assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
        }
        assert_eq!(
            tokens(text, Cut::Bigrams)
                .iter()
                .map(|t| &text[t.offset_from..t.offset_to])
                .collect::<Vec<_>>(),
            ["寬帶", "ＡＢ"]
        );
    }

    #[test]
    fn a_word_inside_a_longer_one_is_a_bigram_of_it() {
        let bigrams = texts("待处理的工单", Cut::Bigrams);
        assert!(bigrams.contains(&("处理".into(), 1)));
        // Positions one per character: a phrase is its bigrams one after another.
        assert_eq!(
            bigrams,
            [
                ("待处".into(), 0),
                ("处理".into(), 1),
                ("理的".into(), 2),
                ("的工".into(), 3),
                ("工单".into(), 4)
            ]
        );
    }

    #[test]
    fn latin_runs_stay_whole() {
        let w = |s| {
            texts(s, Cut::Words)
                .into_iter()
                .map(|t| t.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(w("APP登录失败"), ["app", "登录", "失败"]);
        assert_eq!(w("C#和C++"), ["c#", "和", "c++"]);
        assert_eq!(w("1.5元/吨 E-03报警"), ["1.5", "元", "吨", "e-03", "报警"]);
        assert_eq!(w("5G套餐"), ["5g", "套餐"]);
        // Odd input: nothing but separators, NUL, emoji.
        assert!(w("\0 😀 ，。").is_empty());
        assert_eq!(w("a\0b"), ["a", "b"]);
    }

    #[test]
    fn words_and_chars() {
        let words: Vec<String> = texts("水表计量异常的处理", Cut::Words)
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert!(words.contains(&"水表".to_string()), "{words:?}");
        assert_eq!(texts("表", Cut::Chars), [("表".into(), 0)]);
        assert_eq!(texts("表", Cut::Bigrams), [("表".into(), 0)]);
    }
}
