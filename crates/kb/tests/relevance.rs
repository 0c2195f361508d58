//! The relevance set (issue 24): Chinese articles of several domains and questions as
//! callers and agents word them, each with its right article. Split by article: a third of
//! the articles (by a hash of their id) and their questions are kept out of any tuning and
//! reported apart. Every option tried is measured on the same split; the chosen one must
//! hold its floors on the held-out third, and nothing that occurs in an article may go
//! unfound.
//!
//! `cargo test -p kb --test relevance -- --nocapture` prints the table.

use std::collections::{BTreeMap, BTreeSet};

use kb::{Article, KbIndex, Search, Weights};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Written {
    id: String,
    title: String,
    body: String,
    category: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Question {
    q: String,
    article: String,
    kind: String,
}

struct Set {
    articles: Vec<(String, Article)>,
    questions: Vec<Question>,
}

fn load() -> Set {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut articles = Vec::new();
    let mut questions = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = text.lines().filter(|l| !l.trim().is_empty());
        if name.ends_with(".articles.jsonl") {
            for l in lines {
                let w: Written =
                    serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}"));
                let id = articles.len() as u64 + 1;
                articles.push((
                    w.id,
                    Article {
                        id,
                        title: w.title,
                        body: w.body,
                        category: w.category,
                        tags: w.tags,
                        status: "published".into(),
                        public: true,
                        ..Article::default()
                    },
                ));
            }
        } else if name.ends_with(".questions.jsonl") {
            for l in lines {
                questions
                    .push(serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}")));
            }
        }
    }
    Set {
        articles,
        questions,
    }
}

/// Whether an article is in the held-out third: FNV-1a of its id, so the split never
/// depends on the order of the files.
fn held_out(id: &str) -> bool {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    h.is_multiple_of(3)
}

#[derive(Debug, Default, Clone, Copy)]
struct Scores {
    n: usize,
    at1: f64,
    at5: f64,
    mrr10: f64,
    ndcg10: f64,
}

impl Scores {
    fn add(&mut self, rank: Option<usize>) {
        self.n += 1;
        if let Some(r) = rank {
            self.at1 += f64::from(u8::from(r == 1));
            self.at5 += f64::from(u8::from(r <= 5));
            if r <= 10 {
                self.mrr10 += 1.0 / r as f64;
                // One right article: its gain at its rank, over the ideal (rank 1).
                self.ndcg10 += 1.0 / (r as f64 + 1.0).log2();
            }
        }
    }

    fn mean(self) -> Scores {
        let n = self.n.max(1) as f64;
        Scores {
            n: self.n,
            at1: self.at1 / n,
            at5: self.at5 / n,
            mrr10: self.mrr10 / n,
            ndcg10: self.ndcg10 / n,
        }
    }
}

/// Each question's rank of its right article (1-based, within the top ten), split into
/// (tuning, held out), and by kind on the held-out third.
fn measure(set: &Set, weights: Weights) -> (Scores, Scores, BTreeMap<String, Scores>) {
    let kb = KbIndex::new(weights).unwrap();
    let articles: Vec<Article> = set.articles.iter().map(|(_, a)| a.clone()).collect();
    kb.write(&articles, &[]).unwrap();
    let id_of: BTreeMap<&str, u64> = set
        .articles
        .iter()
        .map(|(w, a)| (w.as_str(), a.id))
        .collect();
    let (mut tune, mut test) = (Scores::default(), Scores::default());
    let mut kinds: BTreeMap<String, Scores> = BTreeMap::new();
    for q in &set.questions {
        let want = *id_of
            .get(q.article.as_str())
            .unwrap_or_else(|| panic!("no article {}", q.article));
        let hits = kb
            .search(&Search {
                text: &q.q,
                limit: 10,
                ..Search::default()
            })
            .unwrap();
        let rank = hits.iter().position(|h| h.id == want).map(|i| i + 1);
        if held_out(&q.article) {
            test.add(rank);
            kinds.entry(q.kind.clone()).or_default().add(rank);
        } else {
            tune.add(rank);
        }
    }
    (
        tune.mean(),
        test.mean(),
        kinds.into_iter().map(|(k, s)| (k, s.mean())).collect(),
    )
}

fn options() -> Vec<(&'static str, Weights)> {
    let d = Weights::default();
    let w = |title: f32, words: f32, bigrams: f32, chars: f32| Weights {
        title,
        tags: title,
        words,
        bigrams,
        chars,
        ..d.clone()
    };
    vec![
        (
            "jieba words only",
            Weights {
                fuzzy: 0.0,
                ..w(3.0, 1.0, 0.0, 0.0)
            },
        ),
        (
            "CJK bigrams only",
            Weights {
                fuzzy: 0.0,
                ..w(3.0, 0.0, 1.0, 0.0)
            },
        ),
        ("words + bigrams", w(3.0, 1.0, 1.0, 0.0)),
        ("words + bigrams + chars, title ×3", w(3.0, 1.0, 1.0, 0.3)),
        ("title ×1", w(1.0, 1.0, 1.0, 0.3)),
        ("title ×1.5", w(1.5, 1.0, 1.0, 0.3)),
        ("title ×1.5, chars ×0.5", w(1.5, 1.0, 1.0, 0.5)),
        ("title ×1.5, chars ×0.2", w(1.5, 1.0, 1.0, 0.2)),
        ("title ×1.5, words ×1.5", w(1.5, 1.5, 1.0, 0.3)),
        ("title ×1, chars ×0.5", w(1.0, 1.0, 1.0, 0.5)),
        ("title ×1, chars ×0.7", w(1.0, 1.0, 1.0, 0.7)),
        ("title ×1, chars ×1", w(1.0, 1.0, 1.0, 1.0)),
        ("title ×1, chars ×2", w(1.0, 1.0, 1.0, 2.0)),
        ("title ×1.5, chars ×1.5", w(1.5, 1.0, 1.0, 1.5)),
        ("defaults (chosen)", d.clone()),
    ]
}

#[test]
fn issue_24_relevance_on_the_held_out_third() {
    let set = load();
    if set.questions.is_empty() {
        panic!("no relevance set under tests/data");
    }
    let held: BTreeSet<&str> = set
        .articles
        .iter()
        .map(|(w, _)| w.as_str())
        .filter(|w| held_out(w))
        .collect();
    println!(
        "{} articles ({} held out), {} questions",
        set.articles.len(),
        held.len(),
        set.questions.len()
    );
    println!(
        "{:<34} {:>6} {:>7} | {:>5} {:>5} {:>6} {:>7} (held-out third)",
        "option", "tune@5", "tuneMRR", "R@1", "R@5", "MRR@10", "nDCG@10"
    );
    let mut chosen = None;
    for (name, w) in options() {
        let (tune, test, kinds) = measure(&set, w);
        println!(
            "{name:<34} {:>6.3} {:>7.3} | {:>5.3} {:>5.3} {:>6.3} {:>7.3}",
            tune.at5, tune.mrr10, test.at1, test.at5, test.mrr10, test.ndcg10
        );
        if name.contains("(chosen)") {
            chosen = Some((test, kinds));
        }
    }
    let (test, kinds) = chosen.unwrap();
    for (k, s) in &kinds {
        println!("  {k:<12} n={:<4} R@1 {:.3} R@5 {:.3}", s.n, s.at1, s.at5);
    }
    // Issue 24's targets on the held-out third: a change that loses relevance fails here.
    assert!(test.at5 >= 0.9 && test.at1 >= 0.7, "{test:?}");
}

/// Every word of every article (jieba's, and each of its characters) finds something: no
/// term that occurs in an article gives no hits.
#[test]
fn issue_24_no_term_of_an_article_goes_unfound() {
    let set = load();
    let kb = KbIndex::new(Weights::default()).unwrap();
    let articles: Vec<Article> = set.articles.iter().map(|(_, a)| a.clone()).collect();
    kb.write(&articles, &[]).unwrap();
    let mut terms = BTreeSet::new();
    for a in &articles {
        for t in kb::analysis::tokens(&a.title, kb::analysis::Cut::Words) {
            terms.insert(t.text);
        }
        for t in kb::analysis::tokens(&a.body, kb::analysis::Cut::Bigrams) {
            terms.insert(t.text);
        }
    }
    let unfound: Vec<&String> = terms
        .iter()
        .filter(|t| {
            kb.search(&Search {
                text: t,
                limit: 1,
                ..Search::default()
            })
            .unwrap()
            .is_empty()
        })
        .collect();
    assert!(terms.len() > 100);
    assert!(
        unfound.is_empty(),
        "{} of {} terms found nothing: {:?}",
        unfound.len(),
        terms.len(),
        &unfound[..unfound.len().min(20)]
    );
}
