//! The leads' rules under random inputs, and their deadlines on a real calendar.

use calendar::{Calendar, CalendarSpec};
use jiff::civil::Time;
use jiff::tz::TimeZone;
use leads::lead::FollowUp;
use leads::policy::merge;
use leads::{Actor, Command, Contact, Lead, Limits, Owner, Pending, Policy, Status, Verdict};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn at(m: i8, d: i8, h: i8, min: i8) -> i64 {
    jiff::civil::date(2026, m, d)
        .at(h, min, 0, 0)
        .to_zoned(TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn office() -> Calendar {
    let day = vec!["09:00-18:00".to_string()];
    Calendar::new(&CalendarSpec {
        time_zone: "Asia/Shanghai".into(),
        weekly: [
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ],
        cn_statutory: true,
        holidays: vec![],
        workdays: vec![],
        special: vec![],
    })
    .unwrap()
}

/// Offered on the eve of National Day: the eight working hours to accept it run one hour
/// that evening and seven after the holiday; three working days to follow up count the
/// make-up Saturday (10 October 2026).
#[test]
fn reclaim_deadlines_skip_a_holiday_and_count_its_make_up_workday() {
    let cal = office();
    let limits = Limits {
        accept_hours: 8,
        follow_up_days: 3,
    };
    let offered = at(9, 30, 17, 0);
    let accept_by = limits.accept_by(&cal, offered);
    assert_eq!(accept_by, at(10, 8, 16, 0));
    let mut lead = Lead::new();
    lead.apply(
        Actor::Sweep,
        Command::Assign {
            dealer: 7,
            accept_by,
        },
        offered,
    )
    .unwrap();
    // Not yet due on the last day of the holiday.
    assert!(
        lead.apply(Actor::Sweep, Command::Reclaim, at(10, 7, 23, 0))
            .is_err()
    );
    let accepted = at(10, 9, 10, 0);
    let follow_by = limits.follow_by(&cal, accepted);
    // Working days from the next one: Saturday the 10th (made up), Monday 12th, Tuesday 13th.
    assert_eq!(follow_by, at(10, 13, 18, 0));
    // The sweep took it at the deadline: reclaimed, not on time, with the center.
    let m = lead
        .apply(Actor::Sweep, Command::Reclaim, accept_by)
        .unwrap();
    assert_eq!((m.action.as_str(), m.on_time), ("reclaim", Some(false)));
    assert_eq!(lead.owner(), Owner::Center);
    assert_eq!(lead.tried, [7]);
}

fn random_command(rng: &mut ChaCha8Rng, now: i64) -> (Actor, Command) {
    let actor = match rng.random_range(0..3) {
        0 => Actor::Center(rng.random_range(1..3)),
        1 => Actor::Dealer(rng.random_range(10..13)),
        _ => Actor::Sweep,
    };
    let later = now + rng.random_range(-3_600_000..86_400_000);
    let command = match rng.random_range(0..8) {
        0 => Command::Assign {
            dealer: rng.random_range(10..13),
            accept_by: later,
        },
        1 => Command::Accept { follow_by: later },
        2 => Command::FollowUp {
            kind: FollowUp::Visit,
            follow_by: later,
        },
        3 => Command::Win {
            amount: rng.random_range(-10..1_000_000),
        },
        4 => Command::Lose {
            reason: if rng.random_bool(0.8) {
                "预算不足"
            } else {
                " "
            }
            .into(),
        },
        5 => Command::Return {
            reason: "不在服务范围".into(),
        },
        6 => Command::Reclaim,
        _ => Command::Take { follow_by: later },
    };
    (actor, command)
}

/// A lead always has exactly one owner, the one its status names; every change is one move
/// (from the owner before to the owner after); a refused command changes nothing; a dealer's
/// lead moves only by that dealer, the center or a passed deadline.
#[test]
fn one_owner_and_every_move_accounted_for() {
    let mut rng = ChaCha8Rng::seed_from_u64(25);
    let mut applied = 0u64;
    let mut actions = std::collections::BTreeSet::new();
    for _ in 0..2_000 {
        let mut lead = Lead::new();
        let mut now = at(12, 1, 9, 0);
        let mut moves = Vec::new();
        for _ in 0..40 {
            now += rng.random_range(0..20_000_000);
            let (actor, command) = random_command(&mut rng, now);
            let before = lead.clone();
            match lead.apply(actor, command.clone(), now) {
                Ok(m) => {
                    applied += 1;
                    assert_eq!(m.from, before.owner(), "{command:?}");
                    assert_eq!(m.to, lead.owner());
                    assert_eq!(m.was, before.status.name());
                    assert_eq!(m.now, lead.status.name());
                    assert_eq!(lead.moves, before.moves + 1);
                    if let Owner::Dealer(d) = before.owner()
                        && m.from != m.to
                        && !before.status.is_closed()
                    {
                        let by_sweep_when_due = actor == Actor::Sweep
                            && before.status.due().is_some_and(|due| now >= due);
                        assert!(
                            actor == Actor::Dealer(d)
                                || matches!(actor, Actor::Center(_))
                                || by_sweep_when_due,
                            "{actor:?} moved dealer {d}'s lead: {command:?}"
                        );
                    }
                    assert!(!before.status.is_closed(), "a closed lead moved");
                    actions.insert(m.action.clone());
                    moves.push(m);
                }
                Err(_) => assert_eq!(lead, before, "a refused command changed the lead"),
            }
            // The owner is the status's, and a dealer's status names one dealer.
            match &lead.status {
                Status::Offered { dealer, .. } | Status::Working { dealer, .. } => {
                    assert_eq!(lead.owner(), Owner::Dealer(*dealer))
                }
                Status::Open | Status::CenterWorking { .. } => {
                    assert_eq!(lead.owner(), Owner::Center)
                }
                Status::Won { amount, .. } => assert!(*amount > 0),
                Status::Lost { reason, .. } => assert!(!reason.trim().is_empty()),
            }
        }
        assert_eq!(moves.len() as u32, lead.moves);
        // The moves chain: each starts where the one before ended.
        for w in moves.windows(2) {
            assert_eq!(w[0].to, w[1].from);
            assert_eq!(w[0].now, w[1].was);
        }
        // Round-trips as the runtime keeps it (JSON).
        let back: Lead = serde_json::from_value(serde_json::to_value(&lead).unwrap()).unwrap();
        assert_eq!(back, lead);
    }
    assert!(applied > 5_000, "too few commands applied: {applied}");
    assert_eq!(actions.len(), 8, "not every action was taken: {actions:?}");
}

const DAY: i64 = 86_400_000;

/// Random contacts pending for customers over five weeks, a dialler placing whatever the
/// policy allows every quarter hour: no customer is called more than the policy allows a
/// day or a week, none outside the calling hours or their own, none blacklisted or asking
/// not to be called — and no pending contact is lost: each is made, or still pending.
#[test]
fn the_policy_holds_over_random_pending_contacts() {
    let mut rng = ChaCha8Rng::seed_from_u64(2_4);
    let policy = Policy::standard();
    let customers: Vec<Contact> = (0..30)
        .map(|i| Contact {
            blacklisted: i % 10 == 3,
            do_not_call: i % 10 == 7,
            hours: (i % 5 == 1).then(|| (Time::constant(18, 0, 0, 0), Time::constant(20, 0, 0, 0))),
        })
        .collect();
    let mut placed: Vec<Vec<i64>> = vec![Vec::new(); customers.len()];
    let mut pending: Vec<Pending> = Vec::new();
    let mut made: Vec<u64> = Vec::new();
    let mut next_id = 0u64;
    let start = at(12, 1, 0, 0);
    let mut now = start;
    while now < start + 35 * DAY {
        for _ in 0..rng.random_range(0..3) {
            next_id += 1;
            pending.push(Pending {
                id: next_id,
                customer: rng.random_range(0..customers.len() as u64),
                topic: ["回访", "催缴", "邀约", "满意度"][rng.random_range(0..4)].into(),
                department: "d".into(),
                not_before: now + rng.random_range(0..2 * DAY),
            });
        }
        let due: Vec<Pending> = pending
            .iter()
            .filter(|p| p.not_before <= now)
            .cloned()
            .collect();
        for task in merge(&due) {
            let c = task.customer as usize;
            match policy.check(&customers[c], &placed[c], now) {
                Verdict::Call => {
                    placed[c].push(now);
                    // One call covers every topic of the task.
                    pending.retain(|p| !task.items.contains(&p.id));
                    made.extend(&task.items);
                }
                Verdict::Defer { until, .. } => assert!(until > now),
                Verdict::Never { .. } => {}
            }
        }
        now += 15 * 60_000;
    }
    let mut calls = 0;
    for (c, times) in placed.iter().enumerate() {
        let who = &customers[c];
        assert!(
            times.is_empty() || !(who.blacklisted || who.do_not_call),
            "customer {c} should never be called"
        );
        for t in times {
            assert!(policy.in_hours(*t), "customer {c} called in quiet hours");
            if who.hours.is_some() {
                let local = jiff::Timestamp::from_millisecond(*t)
                    .unwrap()
                    .to_zoned(TimeZone::get("Asia/Shanghai").unwrap());
                assert!(
                    (18..20).contains(&local.hour()),
                    "outside the customer's hours"
                );
            }
            let day = policy.local_date(*t);
            let that_day = times
                .iter()
                .filter(|x| policy.local_date(**x) == day)
                .count();
            assert!(
                that_day <= policy.per_day as usize,
                "customer {c}: {that_day} on {day}"
            );
            // Any seven local days ending on this one.
            let in_week = times
                .iter()
                .filter(|x| **x <= *t && policy.local_date(**x) > policy.local_date(*t - 7 * DAY))
                .count();
            assert!(
                in_week <= policy.per_week as usize,
                "customer {c}: {in_week} in a week"
            );
        }
        calls += times.len();
    }
    // Nothing lost: every contact ever asked for was made or is still pending.
    let mut all: Vec<u64> = made
        .iter()
        .copied()
        .chain(pending.iter().map(|p| p.id))
        .collect();
    all.sort();
    assert_eq!(all, (1..=next_id).collect::<Vec<_>>());
    // And the callable customers were called (the dialler is not simply idle).
    assert!(calls > 100, "only {calls} calls");
    // Those who may never be called still have their contacts pending, not dropped.
    assert!(
        pending
            .iter()
            .any(|p| customers[p.customer as usize].do_not_call)
    );
}

/// A province and its cities, each with its districts.
type Province = (
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
);

/// A realistic administrative tree (provinces, their cities, their districts) with dealers
/// overlapping at every level: for every place and product line, the dealers the index
/// finds are those a plain scan of every rule finds in the most specific territory holding
/// the place with a dealer for the line; and weighted round robin shares leads by weight.
#[test]
fn territories_on_an_administrative_tree_with_overlapping_dealers() {
    use leads::{Place, Rule, Rules, Territory, choose};
    let tree: &[Province] = &[
        (
            "浙江省",
            &[
                (
                    "杭州市",
                    &["西湖区", "上城区", "拱墅区", "滨江区", "萧山区", "余杭区"],
                ),
                ("宁波市", &["海曙区", "江北区", "鄞州区", "北仑区"]),
                ("温州市", &["鹿城区", "龙湾区", "瓯海区"]),
            ],
        ),
        (
            "江苏省",
            &[
                ("南京市", &["玄武区", "秦淮区", "鼓楼区", "江宁区"]),
                ("苏州市", &["姑苏区", "吴中区", "相城区", "昆山市"]),
            ],
        ),
        (
            "广东省",
            &[
                ("广州市", &["天河区", "越秀区", "海珠区", "番禺区"]),
                ("深圳市", &["福田区", "南山区", "宝安区", "龙岗区"]),
            ],
        ),
        (
            "北京市",
            &[("北京市", &["东城区", "西城区", "朝阳区", "海淀区"])],
        ),
    ];
    let lines = ["挖掘机", "装载机", "压路机"];
    let mut rng = ChaCha8Rng::seed_from_u64(0x25);
    let mut territories = Vec::new();
    for (p, cities) in tree {
        territories.push(Territory::new(p, "", ""));
        for (c, districts) in *cities {
            territories.push(Territory::new(p, c, ""));
            for d in *districts {
                territories.push(Territory::new(p, c, d));
            }
        }
    }
    for round in 0..50 {
        let mut rules = Vec::new();
        for dealer in 1..=40u64 {
            for _ in 0..rng.random_range(1..4) {
                let t = territories[rng.random_range(0..territories.len())].clone();
                let product_lines = if rng.random_bool(0.5) {
                    vec![]
                } else {
                    vec![lines[rng.random_range(0..3)].to_string()]
                };
                rules.push(Rule {
                    dealer,
                    territory: t,
                    product_lines,
                    weight: rng.random_range(1..4),
                });
            }
        }
        let index = Rules::new(rules.clone());
        for t in territories.iter().filter(|t| !t.district.is_empty()) {
            let place = Place {
                province: &t.province,
                city: &t.city,
                district: &t.district,
            };
            for line in lines.iter().chain([&""]) {
                let exclude: Vec<u64> = (0..rng.random_range(0..3))
                    .map(|_| rng.random_range(1..=40))
                    .collect();
                let serves = |r: &Rule| {
                    r.territory.holds(&place)
                        && !exclude.contains(&r.dealer)
                        && (line.is_empty()
                            || r.product_lines.is_empty()
                            || r.product_lines.iter().any(|l| l == line))
                };
                let depth = |t: &Territory| {
                    1 + usize::from(!t.city.is_empty()) + usize::from(!t.district.is_empty())
                };
                let best = rules
                    .iter()
                    .filter(|r| serves(r))
                    .map(|r| depth(&r.territory))
                    .max();
                let mut expected: Vec<u64> = rules
                    .iter()
                    .filter(|r| serves(r) && Some(depth(&r.territory)) == best)
                    .map(|r| r.dealer)
                    .collect();
                expected.sort();
                expected.dedup();
                let found = index.candidates(&place, line, &exclude);
                let got: Vec<u64> = found
                    .as_ref()
                    .map(|(_, c)| c.iter().map(|c| c.dealer).collect())
                    .unwrap_or_default();
                assert_eq!(got, expected, "round {round}, {} {line}", t.path());
                if let Some((territory, _)) = found {
                    assert!(territory.holds(&place));
                    assert_eq!(Some(depth(&territory)), best);
                }
            }
        }
    }
    // Three dealers of one district, weights 3, 2, 1: 600 leads go 300, 200, 100.
    let index = Rules::new((1..=3u64).map(|d| Rule {
        dealer: d,
        territory: Territory::new("浙江省", "杭州市", "西湖区"),
        product_lines: vec![],
        weight: 4 - d as u32,
    }));
    let place = Place {
        province: "浙江省",
        city: "杭州市",
        district: "西湖区",
    };
    let (_, cands) = index.candidates(&place, "挖掘机", &[]).unwrap();
    let mut counts = [0u64; 4];
    for _ in 0..600 {
        let d = choose(&cands, |d| counts[d as usize]).unwrap();
        counts[d as usize] += 1;
    }
    assert_eq!(&counts[1..], &[300, 200, 100]);
}
