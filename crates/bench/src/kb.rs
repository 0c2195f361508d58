//! `hotline bench kb`: the knowledge base's search over `--articles` generated Chinese
//! articles (100,000 by default) — indexing throughput, index size, memory, and search p50 /
//! p99 for the questions of the relevance set, as agents type them.
//!
//! Articles are made from the relevance set's (water, telecom, machinery, banking): each
//! takes a real article's title and body, a place and a model in its title, and sentences of
//! two others in its body, so the words and their spread are those of real articles and no
//! two are alike. The index is what a tenant's search runs on (`kb::KbIndex`, in memory).

use std::time::Instant;

use anyhow::Result;
use kb::{Article, KbIndex, Search, Weights};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 100_000)]
    articles: u32,
    /// Searches timed (the relevance set's questions, round and round).
    #[arg(long, default_value_t = 5_000)]
    searches: u32,
    /// Articles a commit when loading.
    #[arg(long, default_value_t = 10_000)]
    batch: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

const ARTICLES: [&str; 4] = [
    include_str!("../../kb/tests/data/water.articles.jsonl"),
    include_str!("../../kb/tests/data/telecom.articles.jsonl"),
    include_str!("../../kb/tests/data/machinery.articles.jsonl"),
    include_str!("../../kb/tests/data/banking.articles.jsonl"),
];
const QUESTIONS: [&str; 4] = [
    include_str!("../../kb/tests/data/water.questions.jsonl"),
    include_str!("../../kb/tests/data/telecom.questions.jsonl"),
    include_str!("../../kb/tests/data/machinery.questions.jsonl"),
    include_str!("../../kb/tests/data/banking.questions.jsonl"),
];

const PLACES: [&str; 12] = [
    "杭州", "宁波", "温州", "南京", "苏州", "合肥", "成都", "重庆", "西安", "长沙", "武汉", "郑州",
];

fn lines(files: &[&str]) -> Vec<Value> {
    files
        .iter()
        .flat_map(|f| f.lines())
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn run(args: Args) -> Result<()> {
    let seeds = lines(&ARTICLES);
    let questions: Vec<String> = lines(&QUESTIONS)
        .iter()
        .filter_map(|q| q["q"].as_str().map(String::from))
        .collect();
    anyhow::ensure!(
        !seeds.is_empty() && !questions.is_empty(),
        "no relevance set"
    );
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let sentences: Vec<Vec<String>> = seeds
        .iter()
        .map(|a| {
            text(a, "body")
                .split_inclusive(['。', '；', '！'])
                .map(String::from)
                .collect()
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let article = |i: u32, rng: &mut ChaCha8Rng| -> Article {
        let s = &seeds[i as usize % seeds.len()];
        let mut body = text(s, "body");
        for _ in 0..2 {
            let other = &sentences[rng.random_range(0..sentences.len())];
            if !other.is_empty() {
                body.push_str(&other[rng.random_range(0..other.len())]);
            }
        }
        Article {
            id: u64::from(i) + 1,
            title: format!(
                "{}（{}·{}型）",
                text(s, "title"),
                PLACES[rng.random_range(0..PLACES.len())],
                rng.random_range(100..1000)
            ),
            body,
            category: text(s, "category"),
            tags: s["tags"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            status: "published".into(),
            public: i.is_multiple_of(3),
            // A tenth of them expired (a tariff of last month), a tenth not yet in force.
            valid_to: i.is_multiple_of(10).then_some(20261130),
            valid_from: (i % 10 == 5).then_some(20270101),
            ..Article::default()
        }
    };

    let rss_before = rss();
    let index = KbIndex::new(Weights::default())?;
    let started = Instant::now();
    let mut made = 0;
    while made < args.articles {
        let n = args.batch.min(args.articles - made).max(1);
        let batch: Vec<Article> = (made..made + n).map(|i| article(i, &mut rng)).collect();
        index.write(&batch, &[])?;
        made += n;
    }
    let load_s = started.elapsed().as_secs_f64();
    let size = index.size_bytes();
    let rss_after = rss();

    // One article published into the full index: how long until a search sees it.
    let t = Instant::now();
    index.write(&[article(args.articles + 7, &mut rng)], &[])?;
    let publish_ms = t.elapsed().as_secs_f64() * 1e3;

    let mut times = Vec::with_capacity(args.searches as usize);
    let mut hits = 0usize;
    for i in 0..args.searches {
        let q = &questions[i as usize % questions.len()];
        let t = Instant::now();
        let found = index.search(&Search {
            text: q,
            limit: 10,
            status: Some("published"),
            // As the front line searches: what holds today.
            on_day: Some(20261201),
            ..Search::default()
        })?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        hits += usize::from(!found.is_empty());
    }
    times.sort_by(f64::total_cmp);
    let out = json!({
        "articles": args.articles,
        "load_s": load_s,
        "articles_per_s": f64::from(args.articles) / load_s,
        "index_bytes": size,
        "rss_growth_bytes": rss_after.saturating_sub(rss_before),
        "publish_to_search_ms": publish_ms,
        "searches": args.searches,
        "with_hits": hits,
        "search_p50_ms": pct(&times, 0.5),
        "search_p99_ms": pct(&times, 0.99),
        "search_max_ms": times.last().copied().unwrap_or(0.0),
    });
    if args.json {
        println!("{out}");
    } else {
        println!(
            "{} articles indexed in {:.1} s ({:.0}/s), index {:.1} MB, memory +{:.0} MB; \
             a publish searchable in {:.1} ms",
            args.articles,
            load_s,
            f64::from(args.articles) / load_s,
            size as f64 / 1e6,
            rss_after.saturating_sub(rss_before) as f64 / 1e6,
            publish_ms
        );
        println!(
            "{} searches ({} with hits): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            args.searches,
            hits,
            pct(&times, 0.5),
            pct(&times, 0.99),
            times.last().copied().unwrap_or(0.0)
        );
    }
    Ok(())
}
