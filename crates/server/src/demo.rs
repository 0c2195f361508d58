//! The demo center that `hotline start` (`serve --demo`) opens with: a water utility's
//! hotline (自来水热线 96332) with a user of every role and a few hundred customers, so a
//! new user can log in and look around at once. Seeding is idempotent: an existing demo
//! tenant is left as it is.

use store::{
    Address, CustomerData, CustomerPhone, NewTenant, NewUser, Role, Segment, Store, StoreError,
};

/// The demo users' password, printed by `hotline start`.
pub const DEMO_PASSWORD: &str = "hotline-demo";
pub const DEMO_TENANT: &str = "demo";

/// Who to log in as: (tenant slug or none, user name, role).
pub fn demo_logins() -> Vec<(Option<&'static str>, &'static str, Role)> {
    let mut v = vec![(None, "root", Role::PlatformAdmin)];
    for (name, role, _) in DEMO_USERS {
        v.push((Some(DEMO_TENANT), *name, *role));
    }
    v
}

/// User name, role, and the name people see.
const DEMO_USERS: &[(&str, Role, &str)] = &[
    ("admin", Role::TenantAdmin, "管理员 Admin"),
    ("banzhang", Role::Supervisor, "班长 王芳"),
    ("agent01", Role::Agent, "座席 李娜"),
    ("agent02", Role::Agent, "座席 张伟"),
    ("agent03", Role::Agent, "座席 刘洋"),
    ("zhijian", Role::QualityInspector, "质检 陈静"),
    ("expert", Role::Expert, "专家 杨磊"),
    ("houtai", Role::BackOffice, "后台 赵敏"),
    ("dealer", Role::Dealer, "经销商 周杰"),
];

/// Creates the demo tenant, its users and customers unless it exists. Returns whether it
/// seeded anything.
pub async fn seed(store: &Store, now_ms: i64) -> Result<bool, StoreError> {
    if store.tenant_by_slug(DEMO_TENANT).await?.is_some() {
        return Ok(false);
    }
    let hash = crate::auth::hash_password(DEMO_PASSWORD).map_err(|e| StoreError::Invalid {
        field: "password",
        reason: e.message,
    })?;
    if store.user_by_name(None, "root").await?.is_none() {
        store
            .create_user(
                &NewUser {
                    tenant: None,
                    username: "root".into(),
                    display_name: "平台管理员 Platform admin".into(),
                    role: Role::PlatformAdmin,
                    password_hash: hash.clone(),
                },
                now_ms,
            )
            .await?;
    }
    let tenant = store
        .create_tenant(
            &NewTenant::new(
                DEMO_TENANT,
                "自来水热线 96332 (演示)",
                24,
                "demo.hotline.local",
            ),
            now_ms,
        )
        .await?;
    for (username, role, display) in DEMO_USERS {
        store
            .create_user(
                &NewUser {
                    tenant: Some(tenant.id),
                    username: (*username).into(),
                    display_name: (*display).into(),
                    role: *role,
                    password_hash: hash.clone(),
                },
                now_ms,
            )
            .await?;
    }
    store
        .set_tenant_numbers(tenant.id, &["96332".into(), "+8657196332".into()], now_ms)
        .await?;
    store
        .create_customers(tenant.id, &demo_customers(300), now_ms)
        .await?;
    Ok(true)
}

/// `n` plausible customers of a Hangzhou water utility, the same every time.
pub fn demo_customers(n: usize) -> Vec<CustomerData> {
    const SURNAMES: &[&str] = &[
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
        "郭",
    ];
    const GIVEN: &[&str] = &[
        "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
        "明", "超", "秀英", "建华", "志强",
    ];
    const DISTRICTS: &[&str] = &[
        "上城区",
        "拱墅区",
        "西湖区",
        "滨江区",
        "萧山区",
        "余杭区",
        "临平区",
        "钱塘区",
    ];
    const ROADS: &[&str] = &[
        "文三路",
        "天目山路",
        "解放路",
        "延安路",
        "江南大道",
        "莫干山路",
        "庆春路",
        "建国北路",
    ];
    (0..n)
        .map(|i| {
            let segment = match i % 20 {
                0 => Segment::LargeAccount,
                1 => Segment::Vulnerable,
                2 => Segment::Special,
                3 if i % 60 == 3 => Segment::Abnormal,
                _ => Segment::General,
            };
            let mut phones = vec![CustomerPhone {
                number: format!("+86138{:08}", 57_100_000 + i * 7919 % 9_000_000),
                label: "mobile".into(),
            }];
            if i % 4 == 0 {
                phones.push(CustomerPhone {
                    number: format!("+86571{:08}", 86_000_000 + i * 131),
                    label: "home".into(),
                });
            }
            CustomerData {
                name: if segment == Segment::LargeAccount {
                    format!(
                        "杭州{}{}有限公司",
                        ROADS[i % ROADS.len()].trim_end_matches('路'),
                        ["食品", "酒店", "纺织", "印染"][i % 4]
                    )
                } else {
                    format!(
                        "{}{}",
                        SURNAMES[i % SURNAMES.len()],
                        GIVEN[(i / SURNAMES.len() + i) % GIVEN.len()]
                    )
                },
                phones,
                emails: if i % 5 == 0 {
                    vec![format!("customer{i}@example.com")]
                } else {
                    vec![]
                },
                addresses: vec![Address {
                    province: "浙江省".into(),
                    city: "杭州市".into(),
                    district: DISTRICTS[i % DISTRICTS.len()].into(),
                    line: format!("{}{}号", ROADS[(i / 3) % ROADS.len()], 1 + i % 300),
                    label: "installation".into(),
                }],
                segment,
                level: if segment == Segment::LargeAccount {
                    5
                } else {
                    1 + (i % 4) as u8
                },
                qualification: if i % 7 == 0 {
                    "pending".into()
                } else {
                    "verified".into()
                },
                id_number: (i % 3 == 0)
                    .then(|| format!("330106{:08}{:04}", 19_600_101 + (i % 40) * 10_000, 1000 + i)),
                blacklisted: i == 13,
                blacklist_reason: if i == 13 {
                    "多次恶意骚扰来电 repeated abusive calls".into()
                } else {
                    String::new()
                },
                notes: String::new(),
            }
        })
        .collect()
}
