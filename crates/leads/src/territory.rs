//! Territories: a province, a city in it, or a district in that; the dealers who serve each,
//! for every product line or some; and which dealer gets the next lead.
//!
//! A lead goes to the dealers of the most specific territory holding its place that has a
//! dealer for its product line: a district's dealer before the city's, the city's before the
//! province's. A place no dealer serves stays with the center.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A province, or a city in it (`district` empty), or a district in that; names as addresses
/// write them (`浙江省`, `杭州市`, `西湖区`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Territory {
    pub province: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub district: String,
}

impl Territory {
    pub fn new(province: &str, city: &str, district: &str) -> Territory {
        Territory {
            province: province.trim().to_string(),
            city: city.trim().to_string(),
            district: district.trim().to_string(),
        }
    }

    /// Whether `place` lies in this territory.
    pub fn holds(&self, place: &Place<'_>) -> bool {
        !self.province.is_empty()
            && self.province == place.province.trim()
            && (self.city.is_empty() || self.city == place.city.trim())
            && (self.district.is_empty() || self.district == place.district.trim())
    }

    /// `浙江省/杭州市/西湖区`, as far as it goes.
    pub fn path(&self) -> String {
        [&self.province, &self.city, &self.district]
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A district needs its city, a city its province.
    pub fn is_well_formed(&self) -> bool {
        !self.province.is_empty() && (self.district.is_empty() || !self.city.is_empty())
    }
}

/// Where a lead's customer is: the province, city and district of their address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place<'a> {
    pub province: &'a str,
    pub city: &'a str,
    pub district: &'a str,
}

/// A dealer serving a territory, for some product lines (all when empty), with a weight
/// (a dealer of weight 2 gets twice the leads of one of weight 1 in the same territory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub dealer: u64,
    pub territory: Territory,
    #[serde(default)]
    pub product_lines: Vec<String>,
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// A dealer who may take a lead, and their weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub dealer: u64,
    pub weight: u32,
}

#[derive(Debug, Clone)]
struct Entry {
    dealer: u64,
    lines: Vec<String>,
    weight: u32,
}

/// Every dealer's territories, indexed by territory: finding a lead's dealers is three
/// lookups, however many territories there are.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    by_territory: HashMap<Territory, Vec<Entry>>,
}

impl Rules {
    /// The rules; a dealer named twice for one territory counts once (the larger weight,
    /// the lines of both — an empty list, every line, wins).
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Rules {
        let mut by_territory: HashMap<Territory, Vec<Entry>> = HashMap::new();
        for r in rules {
            if !r.territory.is_well_formed() {
                continue;
            }
            let entries = by_territory.entry(r.territory).or_default();
            match entries.iter_mut().find(|e| e.dealer == r.dealer) {
                Some(e) => {
                    e.weight = e.weight.max(r.weight.max(1));
                    if e.lines.is_empty() || r.product_lines.is_empty() {
                        e.lines.clear();
                    } else {
                        e.lines.extend(r.product_lines);
                    }
                }
                None => entries.push(Entry {
                    dealer: r.dealer,
                    lines: r.product_lines,
                    weight: r.weight.max(1),
                }),
            }
        }
        for entries in by_territory.values_mut() {
            entries.sort_by_key(|e| e.dealer);
        }
        Rules { by_territory }
    }

    /// How many territories have a dealer.
    pub fn len(&self) -> usize {
        self.by_territory.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_territory.is_empty()
    }

    /// The dealers of the most specific territory holding `place` that has one for
    /// `product_line` (an empty line: any dealer), leaving out `exclude` (those who returned
    /// the lead or had it taken back), and that territory. `None`: the center keeps it.
    pub fn candidates(
        &self,
        place: &Place<'_>,
        product_line: &str,
        exclude: &[u64],
    ) -> Option<(Territory, Vec<Candidate>)> {
        let (p, c, d) = (
            place.province.trim(),
            place.city.trim(),
            place.district.trim(),
        );
        if p.is_empty() {
            return None;
        }
        let mut keys = Vec::with_capacity(3);
        if !c.is_empty() {
            if !d.is_empty() {
                keys.push(Territory::new(p, c, d));
            }
            keys.push(Territory::new(p, c, ""));
        }
        keys.push(Territory::new(p, "", ""));
        for key in keys {
            let Some(entries) = self.by_territory.get(&key) else {
                continue;
            };
            let found: Vec<Candidate> = entries
                .iter()
                .filter(|e| !exclude.contains(&e.dealer))
                .filter(|e| {
                    product_line.is_empty()
                        || e.lines.is_empty()
                        || e.lines.iter().any(|l| l == product_line)
                })
                .map(|e| Candidate {
                    dealer: e.dealer,
                    weight: e.weight,
                })
                .collect();
            if !found.is_empty() {
                return Some((key, found));
            }
        }
        None
    }
}

/// Which candidate gets the next lead: the one furthest below their share — the fewest
/// leads `assigned` so far for their weight; among equals the heavier, then the lower id.
/// With equal weights this is round robin; with weights 2 and 1, two leads to one.
pub fn choose(candidates: &[Candidate], assigned: impl Fn(u64) -> u64) -> Option<u64> {
    candidates
        .iter()
        .map(|c| (c, assigned(c.dealer), u64::from(c.weight.max(1))))
        .min_by(|(a, na, wa), (b, nb, wb)| {
            // na / wa against nb / wb, without division.
            (u128::from(*na) * u128::from(*wb))
                .cmp(&(u128::from(*nb) * u128::from(*wa)))
                .then(wb.cmp(wa))
                .then(a.dealer.cmp(&b.dealer))
        })
        .map(|(c, _, _)| c.dealer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(dealer: u64, p: &str, c: &str, d: &str, lines: &[&str], weight: u32) -> Rule {
        Rule {
            dealer,
            territory: Territory::new(p, c, d),
            product_lines: lines.iter().map(|s| s.to_string()).collect(),
            weight,
        }
    }

    fn place<'a>(p: &'a str, c: &'a str, d: &'a str) -> Place<'a> {
        Place {
            province: p,
            city: c,
            district: d,
        }
    }

    #[test]
    fn weighted_round_robin_gives_each_their_share() {
        let cands = [
            Candidate {
                dealer: 7,
                weight: 2,
            },
            Candidate {
                dealer: 3,
                weight: 1,
            },
        ];
        let mut counts: HashMap<u64, u64> = HashMap::new();
        let mut order = Vec::new();
        for _ in 0..9 {
            let d = choose(&cands, |d| counts.get(&d).copied().unwrap_or(0)).unwrap();
            *counts.entry(d).or_default() += 1;
            order.push(d);
        }
        assert_eq!(counts[&7], 6);
        assert_eq!(counts[&3], 3);
        assert_eq!(&order[..3], &[7, 3, 7]);
        let equal = [
            Candidate {
                dealer: 2,
                weight: 1,
            },
            Candidate {
                dealer: 1,
                weight: 1,
            },
        ];
        assert_eq!(choose(&equal, |_| 0), Some(1));
        assert_eq!(choose(&equal, |d| if d == 1 { 1 } else { 0 }), Some(2));
        assert_eq!(choose(&[], |_| 0), None);
    }

    #[test]
    fn most_specific_territory_with_a_dealer_for_the_line() {
        let rules = Rules::new([
            rule(1, "浙江省", "", "", &[], 1),
            rule(2, "浙江省", "杭州市", "", &["挖掘机"], 1),
            rule(3, "浙江省", "杭州市", "西湖区", &["装载机"], 1),
            rule(4, "浙江省", "杭州市", "西湖区", &["装载机"], 1),
            // A district without its city is not a territory.
            rule(5, "浙江省", "", "西湖区", &[], 1),
        ]);
        let xihu = place("浙江省", "杭州市", "西湖区");
        let (t, c) = rules.candidates(&xihu, "装载机", &[]).unwrap();
        assert_eq!(t.path(), "浙江省/杭州市/西湖区");
        assert_eq!(c.iter().map(|c| c.dealer).collect::<Vec<_>>(), [3, 4]);
        // The district's dealers sell no excavators: the city's dealer does.
        let (t, c) = rules.candidates(&xihu, "挖掘机", &[]).unwrap();
        assert_eq!((t.path().as_str(), c[0].dealer), ("浙江省/杭州市", 2));
        // Both district dealers gave it back: up to the province (the city's sells no
        // loaders).
        let (t, c) = rules.candidates(&xihu, "装载机", &[3, 4]).unwrap();
        assert_eq!((t.path().as_str(), c[0].dealer), ("浙江省", 1));
        assert!(rules.candidates(&xihu, "装载机", &[1, 3, 4]).is_none());
        assert!(
            rules
                .candidates(&place("江苏省", "南京市", ""), "", &[])
                .is_none()
        );
        assert!(
            rules
                .candidates(&place("", "杭州市", ""), "", &[])
                .is_none()
        );
        assert_eq!(rules.len(), 3);
    }
}
