//! One tenant's articles in a tantivy index held in memory (the store keeps the articles;
//! the index is made again from them after a restart), searched with the analysis of
//! [`crate::analysis`] field by field.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Mutex, RwLock};

use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TantivyDocument, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::analysis::{Cut, ZhTokenizer, folded, is_han, tokens};

/// What went wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("the index's writer was poisoned by a panic")]
    Poisoned,
}

/// An article as the index takes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    pub id: u64,
    pub title: String,
    pub body: String,
    /// Its place in the category tree: `水表/计量`.
    pub category: String,
    pub tags: Vec<String>,
    /// Questions it answers, as people ask them (written, or learnt from use).
    pub questions: Vec<String>,
    pub products: Vec<String>,
    pub segments: Vec<String>,
    /// `draft`, `review`, `published`, `archived`.
    pub status: String,
    /// Whether the public (the FAQ page, the IVR, SMS) may see it.
    pub public: bool,
    /// The first and last days it holds, as `20261201`; open-ended when `None`.
    pub valid_from: Option<u32>,
    pub valid_to: Option<u32>,
}

/// The parts of an article searched, each cut three ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Title,
    Questions,
    Tags,
    Body,
}

/// Distinct terms of a query taken per cut, Latin words matched with typos, and the longest
/// such word: bounds on what one query costs.
const MAX_TERMS: usize = 64;

const MAX_FUZZY: usize = 4;
const MAX_FUZZY_LEN: usize = 24;
/// Quoted phrases a query requires at most (more are left out).
const MAX_PHRASES: usize = 4;

const PARTS: [Part; 4] = [Part::Title, Part::Questions, Part::Tags, Part::Body];
const CUTS: [Cut; 3] = [Cut::Words, Cut::Bigrams, Cut::Chars];

/// How much each part and each cut counts: the ranking's knobs, measured on the relevance
/// set (`tests/relevance.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub title: f32,
    pub questions: f32,
    pub tags: f32,
    pub body: f32,
    pub words: f32,
    pub bigrams: f32,
    pub chars: f32,
    /// Latin words within one or two edits (0 leaves typos unmatched).
    pub fuzzy: f32,
}

impl Default for Weights {
    fn default() -> Weights {
        // Chosen on the relevance set's tuning two thirds (tests/relevance.rs): titles and
        // tags as much as the body, and single characters weighed more than words alone —
        // callers' words rarely are the article's.
        Weights {
            title: 1.0,
            questions: 2.0,
            tags: 1.0,
            body: 1.0,
            words: 1.0,
            bigrams: 1.0,
            chars: 1.5,
            fuzzy: 0.5,
        }
    }
}

impl Weights {
    fn part(&self, p: Part) -> f32 {
        match p {
            Part::Title => self.title,
            Part::Questions => self.questions,
            Part::Tags => self.tags,
            Part::Body => self.body,
        }
    }

    fn cut(&self, c: Cut) -> f32 {
        match c {
            Cut::Words => self.words,
            Cut::Bigrams => self.bigrams,
            Cut::Chars => self.chars,
        }
    }
}

/// A search: the words as typed, how many hits, and what must hold of each.
#[derive(Debug, Clone, Default)]
pub struct Search<'a> {
    pub text: &'a str,
    pub limit: usize,
    /// Within this category or below it.
    pub category: Option<&'a str>,
    pub product: Option<&'a str>,
    pub segment: Option<&'a str>,
    pub status: Option<&'a str>,
    /// Only articles the public may see.
    pub public_only: bool,
    /// Only articles holding on this day (`20261201`): an expired tariff is not an answer.
    pub on_day: Option<u32>,
}

/// One article found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
    pub title: String,
    /// The best part of the body, HTML-escaped, with what matched in `<b>`.
    pub snippet: String,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    body: Field,
    indexed: [[Field; 3]; 4],
    category: Field,
    product: Field,
    segment: Field,
    status: Field,
    public: Field,
    /// The first and last days it holds (0 and `u64::MAX` when open), as terms: a day's
    /// filter excludes the ranges of those not holding (a fast-field range would scan every
    /// article's value, doubling a search's time).
    valid_from: Field,
    valid_to: Field,
}

impl Fields {
    fn of(&self, part: Part, cut: Cut) -> Field {
        let p = PARTS.iter().position(|x| *x == part).unwrap_or(0);
        let c = CUTS.iter().position(|x| *x == cut).unwrap_or(0);
        self.indexed[p][c]
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_u64_field("id", INDEXED | STORED | FAST);
    let title = b.add_text_field("title", STORED);
    let body = b.add_text_field("body", STORED);
    let text = |cut: Cut| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(cut.name())
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let indexed = [Part::Title, Part::Questions, Part::Tags, Part::Body].map(|p| {
        CUTS.map(|c| b.add_text_field(&format!("{p:?}_{}", c.name()).to_lowercase(), text(c)))
    });
    let category = b.add_facet_field("category", FacetOptions::default());
    let product = b.add_text_field("product", STRING);
    let segment = b.add_text_field("segment", STRING);
    let status = b.add_text_field("status", STRING);
    let public = b.add_bool_field("public", INDEXED);
    let valid_from = b.add_u64_field("valid_from", INDEXED);
    let valid_to = b.add_u64_field("valid_to", INDEXED);
    (
        b.build(),
        Fields {
            id,
            title,
            body,
            indexed,
            category,
            product,
            segment,
            status,
            public,
            valid_from,
            valid_to,
        },
    )
}

/// A category path as a facet: `水表/计量` → `/水表/计量` (empty parts dropped).
fn facet(category: &str) -> Facet {
    let parts: Vec<&str> = category
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    Facet::from_path(parts)
}

/// One tenant's knowledge index.
pub struct KbIndex {
    /// Kept with its reader and writer (its tokenizers live here).
    _index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    weights: Weights,
    /// Each word's synonyms (水表 → 表计, 计量表): a query's word brings its synonyms in.
    synonyms: RwLock<HashMap<String, Vec<String>>>,
}

impl std::fmt::Debug for KbIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KbIndex")
            .field("weights", &self.weights)
            .finish_non_exhaustive()
    }
}

impl KbIndex {
    /// An empty index in memory, ranked by `weights`.
    pub fn new(weights: Weights) -> Result<KbIndex, KbError> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        for cut in CUTS {
            index.tokenizers().register(cut.name(), ZhTokenizer(cut));
        }
        // One indexing thread and one merging thread: a tenant's writes are small, a bulk load
        // is one commit, and a center holds many tenants' indexes.
        let writer = index.writer_with_options(
            tantivy::indexer::IndexWriterOptions::builder()
                .num_worker_threads(1)
                .num_merge_threads(1)
                .memory_budget_per_thread(64 << 20)
                .build(),
        )?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(KbIndex {
            _index: index,
            reader,
            writer: Mutex::new(writer),
            fields,
            weights,
            synonyms: RwLock::new(HashMap::new()),
        })
    }

    /// The tenant's synonym groups (each a list of words meaning the same), replacing
    /// those set before.
    pub fn set_synonyms(&self, groups: &[Vec<String>]) {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for g in groups {
            let words: Vec<String> = g
                .iter()
                .map(|w| folded(w.trim()))
                .filter(|w| !w.is_empty())
                .collect();
            for w in &words {
                let others = map.entry(w.clone()).or_default();
                others.extend(words.iter().filter(|o| *o != w).cloned());
            }
        }
        if let Ok(mut s) = self.synonyms.write() {
            *s = map;
        }
    }

    fn document(&self, a: &Article) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, a.id);
        doc.add_text(f.title, &a.title);
        doc.add_text(f.body, &a.body);
        let questions = a.questions.join("\n");
        let tags = a.tags.join("\n");
        for part in PARTS {
            let text = match part {
                Part::Title => &a.title,
                Part::Questions => &questions,
                Part::Tags => &tags,
                Part::Body => &a.body,
            };
            for cut in CUTS {
                doc.add_text(f.of(part, cut), text);
            }
        }
        doc.add_facet(f.category, facet(&a.category));
        for p in &a.products {
            doc.add_text(f.product, p);
        }
        for s in &a.segments {
            doc.add_text(f.segment, s);
        }
        doc.add_text(f.status, &a.status);
        doc.add_bool(f.public, a.public);
        doc.add_u64(f.valid_from, a.valid_from.map_or(0, u64::from));
        doc.add_u64(f.valid_to, a.valid_to.map_or(u64::MAX, u64::from));
        doc
    }

    /// Puts articles in (replacing any of the same id) and takes ids out, in one commit:
    /// searches see all of it when this returns.
    pub fn write(&self, put: &[Article], remove: &[u64]) -> Result<(), KbError> {
        {
            let mut w = self.writer.lock().map_err(|_| KbError::Poisoned)?;
            for id in remove.iter().copied().chain(put.iter().map(|a| a.id)) {
                w.delete_term(Term::from_field_u64(self.fields.id, id));
            }
            for a in put {
                w.add_document(self.document(a))?;
            }
            w.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// How many articles the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The bytes the index takes (its segments, in memory).
    pub fn size_bytes(&self) -> u64 {
        self.reader
            .searcher()
            .space_usage()
            .map_or(0, |u| u.total().get_bytes())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The query for `text`: every cut of it on every part, weighted; quoted spans
    /// (`"…"`, `「…」`, `“…”`) must appear as written.
    fn query(&self, text: &str) -> Box<dyn Query> {
        let f = &self.fields;
        let w = &self.weights;
        let (phrases, rest) = split_quoted(text);
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Synonyms of the words typed (水表 → 表计, 计量表).
        let synonyms: Vec<String> = match self.synonyms.read() {
            Ok(s) if !s.is_empty() => tokens(&rest, Cut::Words)
                .iter()
                .flat_map(|t| s.get(&t.text).into_iter().flatten().cloned())
                .collect(),
            _ => Vec::new(),
        };
        let term_query = |field: Field, t: &str, boost: f32| -> Box<dyn Query> {
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                )),
                boost,
            ))
        };
        let mut fuzzy_words = 0;
        for cut in CUTS {
            let mut seen = std::collections::HashSet::new();
            let mut words: Vec<(String, f32)> = Vec::new();
            // Bounded: a long hostile query costs no more than a long real one.
            for t in tokens(&rest, cut) {
                if words.len() >= MAX_TERMS {
                    break;
                }
                if seen.insert(t.text.clone()) {
                    words.push((t.text, 1.0));
                }
            }
            // Synonyms, cut the same way (not into characters), count a little less.
            if cut != Cut::Chars {
                for other in &synonyms {
                    for t in tokens(other, cut) {
                        if seen.insert(t.text.clone()) {
                            words.push((t.text, 0.8));
                        }
                    }
                }
            }
            for part in PARTS {
                let field = f.of(part, cut);
                let boost = w.part(part) * w.cut(cut);
                if boost <= 0.0 {
                    continue;
                }
                for (t, b) in &words {
                    should.push((Occur::Should, term_query(field, t, boost * b)));
                    // Typos in Latin words (not in numbers).
                    let latin = !t.chars().any(is_han) && t.chars().any(char::is_alphabetic);
                    if w.fuzzy > 0.0
                        && latin
                        && cut == Cut::Words
                        && (4..=MAX_FUZZY_LEN).contains(&t.chars().count())
                        && fuzzy_words < MAX_FUZZY * PARTS.len()
                    {
                        fuzzy_words += 1;
                        let distance = if t.chars().count() >= 8 { 2 } else { 1 };
                        should.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(
                                Box::new(FuzzyTermQuery::new(
                                    Term::from_field_text(field, t),
                                    distance,
                                    true,
                                )),
                                boost * w.fuzzy,
                            )),
                        ));
                    }
                }
            }
        }
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for p in phrases {
            // A phrase: its bigrams (or its one token) one after another, in the title, the
            // questions or the body.
            let bigrams = tokens(&p, Cut::Bigrams);
            // One character alone is in the characters' field (the bigrams' holds it only
            // where it stands alone).
            let single = bigrams.len() == 1 && tokens(&p, Cut::Chars).len() == 1;
            let cut = if single { Cut::Chars } else { Cut::Bigrams };
            let cut_tokens = if single {
                tokens(&p, Cut::Chars)
            } else {
                bigrams
            };
            if cut_tokens.is_empty() || must.len() >= MAX_PHRASES {
                continue;
            }
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for part in PARTS {
                let field = f.of(part, cut);
                let boost = w.part(part) * w.bigrams;
                let q: Box<dyn Query> = if cut_tokens.len() == 1 {
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &cut_tokens[0].text),
                        IndexRecordOption::WithFreqs,
                    ))
                } else {
                    let first = cut_tokens[0].position;
                    Box::new(PhraseQuery::new_with_offset(
                        cut_tokens
                            .iter()
                            .map(|t| (t.position - first, Term::from_field_text(field, &t.text)))
                            .collect(),
                    ))
                };
                any.push((Occur::Should, Box::new(BoostQuery::new(q, boost * 2.0))));
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if !should.is_empty() {
            must.push((
                if must.is_empty() {
                    Occur::Must
                } else {
                    Occur::Should
                },
                Box::new(BooleanQuery::new(should)),
            ));
        }
        Box::new(BooleanQuery::new(must))
    }

    /// The articles that best answer `s.text`, best first.
    pub fn search(&self, s: &Search) -> Result<Vec<Hit>, KbError> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        // Nothing typed within a category: the category's articles (an IVR menu's answers).
        let text_query = if s.text.trim().is_empty() && s.category.is_some() {
            Box::new(AllQuery)
        } else {
            self.query(s.text)
        };
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        let exact = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        if let Some(c) = s.category.filter(|c| !c.trim().is_empty()) {
            all.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_facet(f.category, &facet(c)),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        for (field, v) in [
            (f.product, s.product),
            (f.segment, s.segment),
            (f.status, s.status),
        ] {
            if let Some(v) = v {
                all.push((Occur::Must, exact(field, v)));
            }
        }
        if s.public_only {
            all.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_bool(f.public, true),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if let Some(day) = s.on_day.map(u64::from) {
            let u = |field: Field, v: u64| Term::from_field_u64(field, v);
            // Excluded: those not yet valid and those expired — few articles, small lists
            // (the undated carry 0 and `u64::MAX`, in neither range).
            for (from, to) in [
                (Bound::Excluded(u(f.valid_from, day)), Bound::Unbounded),
                (Bound::Unbounded, Bound::Excluded(u(f.valid_to, day))),
            ] {
                all.push((Occur::MustNot, Box::new(RangeQuery::new(from, to))));
            }
        }
        // Filters do not score.
        let query = BooleanQuery::new(
            all.into_iter()
                .enumerate()
                .map(|(i, (o, q))| {
                    (
                        o,
                        if i == 0 {
                            q
                        } else {
                            Box::new(BoostQuery::new(q, 0.0)) as Box<dyn Query>
                        },
                    )
                })
                .collect(),
        );
        let limit = s.limit.clamp(1, 100);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut snippets =
            SnippetGenerator::create(&searcher, &*text_query, f.of(Part::Body, Cut::Bigrams))?;
        // In bytes: about a hundred Chinese characters.
        snippets.set_max_num_chars(300);
        let mut hits = Vec::with_capacity(top.len());
        for (score, at) in top {
            let doc: TantivyDocument = searcher.doc(at)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let body = text(f.body);
            hits.push(Hit {
                id: doc
                    .get_first(f.id)
                    .and_then(|v| v.as_u64())
                    .unwrap_or_default(),
                score,
                title: text(f.title),
                snippet: snippets.snippet(&body).to_html(),
            });
        }
        Ok(hits)
    }
}

/// The quoted spans of a query (straight or Chinese quotes), and the rest of it.
fn split_quoted(text: &str) -> (Vec<String>, String) {
    let mut phrases = Vec::new();
    let mut rest = String::new();
    let mut open: Option<(char, String)> = None;
    for c in text.chars() {
        match &mut open {
            Some((close, span)) => {
                if c == *close {
                    phrases.push(std::mem::take(span));
                    open = None;
                } else {
                    span.push(c);
                }
            }
            None => match c {
                '"' => open = Some(('"', String::new())),
                '「' => open = Some(('」', String::new())),
                '“' => open = Some(('”', String::new())),
                _ => rest.push(c),
            },
        }
    }
    // A quote never closed: its words are searched as words.
    if let Some((_, span)) = open {
        rest.push(' ');
        rest.push_str(&span);
    }
    (phrases, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: u64, title: &str, body: &str) -> Article {
        Article {
            id,
            title: title.into(),
            body: body.into(),
            category: "水表/计量".into(),
            status: "published".into(),
            public: id.is_multiple_of(2),
            ..Article::default()
        }
    }

    fn ids(kb: &KbIndex, text: &str) -> Vec<u64> {
        kb.search(&Search {
            text,
            limit: 10,
            ..Search::default()
        })
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
    }

    #[test]
    fn what_peers_lose_is_found() {
        let kb = KbIndex::new(Weights::default()).unwrap();
        kb.write(
            &[
                article(
                    1,
                    "水表计量异常的处理",
                    "用户反映水表走得快、读数偏高时，先请用户关闭所有用水点观察水表是否转动。",
                ),
                article(
                    2,
                    "待处理工单的催办",
                    "工单超过时限未处理的，坐席可以催办。",
                ),
                article(3, "网上营业厅密码重置", "忘记密码可在APP登录页点击找回。"),
                article(4, "C#接口说明", "第三方系统用C#调用接口。"),
            ],
            &[],
        )
        .unwrap();
        // A word inside a longer one (Meilisearch #4874), two characters (SQLite trigram).
        assert!(ids(&kb, "处理").contains(&2));
        assert_eq!(ids(&kb, "密码")[0], 3);
        assert_eq!(ids(&kb, "水表走得快")[0], 1);
        assert_eq!(ids(&kb, "水錶計量")[0], 1);
        assert_eq!(ids(&kb, "ＡＰＰ登录")[0], 3);
        assert_eq!(ids(&kb, "c#")[0], 4);
        // A quoted phrase must appear as written.
        assert_eq!(ids(&kb, "\"走得快\""), [1]);
        assert!(ids(&kb, "「快走」").is_empty());
        assert_eq!(ids(&kb, "「快」"), [1]);
        // A long hostile query is bounded and still answers.
        let long: String = "水表走得快密码处理".repeat(30) + &" bluetoothxyz".repeat(20);
        assert_eq!(ids(&kb, &long)[..1], [1]);
        // A typo in a Latin word.
        kb.write(
            &[article(
                5,
                "Bluetooth pairing",
                "Pair the meter reader over Bluetooth.",
            )],
            &[],
        )
        .unwrap();
        assert_eq!(ids(&kb, "bluetoth")[0], 5);
        // Nothing matching, odd input.
        assert!(ids(&kb, "").is_empty());
        assert!(ids(&kb, "\0😀").is_empty());
    }

    #[test]
    fn replaced_removed_filtered_and_highlighted() {
        let kb = KbIndex::new(Weights::default()).unwrap();
        kb.write(
            &[
                article(1, "停水通知", "明天停水。"),
                article(2, "水压低", "水压低先看阀门。"),
            ],
            &[],
        )
        .unwrap();
        kb.write(&[article(1, "停水公告", "后天停水。")], &[2])
            .unwrap();
        assert_eq!(kb.len(), 1);
        let hits = kb
            .search(&Search {
                text: "停水",
                limit: 5,
                ..Search::default()
            })
            .unwrap();
        assert_eq!(hits[0].title, "停水公告");
        assert!(
            hits[0].snippet.contains("<b>停水</b>"),
            "{}",
            hits[0].snippet
        );
        // Filters: public only (1 is not), another category, a status.
        let count = |s: Search| kb.search(&s).unwrap().len();
        let base = Search {
            text: "停水",
            limit: 5,
            ..Search::default()
        };
        assert_eq!(
            count(Search {
                public_only: true,
                ..base.clone()
            }),
            0
        );
        assert_eq!(
            count(Search {
                category: Some("水表"),
                ..base.clone()
            }),
            1
        );
        assert_eq!(
            count(Search {
                category: Some("水费"),
                ..base.clone()
            }),
            0
        );
        // A category's articles with nothing typed; nothing typed and no category: none.
        assert_eq!(
            count(Search {
                text: " ",
                category: Some("水表"),
                ..base.clone()
            }),
            1
        );
        assert_eq!(
            count(Search {
                text: "",
                ..base.clone()
            }),
            0
        );
        assert_eq!(
            count(Search {
                status: Some("draft"),
                ..base.clone()
            }),
            0
        );
    }

    #[test]
    fn an_article_is_found_only_on_the_days_it_holds() {
        let kb = KbIndex::new(Weights::default()).unwrap();
        let dated = |id, from, to| Article {
            valid_from: from,
            valid_to: to,
            ..article(id, "阶梯水价", "阶梯水价的标准。")
        };
        kb.write(
            &[
                dated(1, None, None),
                dated(2, Some(20260101), Some(20261231)),
                dated(3, Some(20270101), None),
                dated(4, None, Some(20261130)),
            ],
            &[],
        )
        .unwrap();
        let on = |day| {
            let mut ids: Vec<u64> = kb
                .search(&Search {
                    text: "水价",
                    limit: 10,
                    on_day: day,
                    ..Search::default()
                })
                .unwrap()
                .into_iter()
                .map(|h| h.id)
                .collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(on(None), [1, 2, 3, 4]);
        assert_eq!(on(Some(20261201)), [1, 2]);
        assert_eq!(on(Some(20261130)), [1, 2, 4]);
        assert_eq!(on(Some(20261231)), [1, 2]);
        assert_eq!(on(Some(20270101)), [1, 3]);
        // Many better hits expired: looked further until one holds.
        let expired: Vec<Article> = (10..60)
            .map(|id| dated(id, None, Some(20251231)))
            .chain([Article {
                valid_from: Some(20260101),
                ..article(99, "水价", "水价水价。")
            }])
            .collect();
        kb.write(&expired, &[1, 2, 3, 4]).unwrap();
        let first = kb
            .search(&Search {
                text: "阶梯水价",
                limit: 1,
                on_day: Some(20261201),
                ..Search::default()
            })
            .unwrap();
        assert_eq!(first.iter().map(|h| h.id).collect::<Vec<_>>(), [99]);
    }

    #[test]
    fn synonyms_bring_each_other_in() {
        let kb = KbIndex::new(Weights::default()).unwrap();
        kb.write(
            &[
                article(1, "计量表更换", "表计到期更换。"),
                article(2, "水费发票", "水费发票表格。"),
            ],
            &[],
        )
        .unwrap();
        let score = |id| {
            kb.search(&Search {
                text: "水表",
                limit: 5,
                ..Search::default()
            })
            .unwrap()
            .into_iter()
            .find(|h| h.id == id)
            .map_or(0.0, |h| h.score)
        };
        let before = score(1);
        kb.set_synonyms(&[vec!["水表".into(), "表计".into(), "计量表".into()]]);
        assert!(score(1) > 2.0 * before, "{before} → {}", score(1));
        assert_eq!(ids(&kb, "水表")[0], 1);
    }
}
