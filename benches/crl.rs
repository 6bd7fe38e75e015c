//! CRL build benchmark: a state with N revoked certificates, then one `Authority::crl`
//! of the whole generation (read the revoked entries from SQLite, encode, sign). With
//! P partitions the certificates are spread over P distribution points (the
//! municipality layout) and every partition's CRL is built too. Prints one line of
//! figures. Run through scripts/bench-crl.sh, which puts openssl's `ca -gencrl` beside
//! it.
//!
//! With STORE=postgres://USER:PASSWORD@HOST:PORT/DB, the state is a schema of that
//! database instead (made for the run, dropped after it): the entries are read from
//! PostgreSQL.
//!
//! Usage: [STORE=postgres://…] cargo bench --bench crl -- N [P] [OUT.crl]

use std::time::Instant;

use jpki_mock::internals::{Authority, Options, SqliteStore, StoreLocation, DATABASE_FILE};
use jpki_mock::{CertKind, Config, CrlScope, Locality};

/// The municipality of partition `p`.
fn municipality(p: u32) -> String {
    format!("Town{p:04}-shi")
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: u32 = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let partitions: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    let out = args.get(2).cloned();
    let dir = tempfile::tempdir().expect("temp dir");
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let options = Options {
        now: Some(now),
        key_seed: None,
    };
    let mut config = Config::default();
    if partitions > 0 {
        config = Config::from_toml("[crl]\nlayout = \"municipality\"\n").expect("config");
    }
    if let Some(url) = std::env::var("STORE").ok().filter(|u| !u.is_empty()) {
        let location = StoreLocation::parse(&url)
            .and_then(|l| l.with_schema(&format!("bench_crl_{}", std::process::id())))
            .expect("a postgres:// URL in STORE");
        let mut store = location.create().expect("state");
        Authority::init(store.as_mut(), &config, &options, None, None).expect("init");
        drop(store);
        let load = Instant::now();
        let mut db = postgres_load(&location, n, partitions, now.unix_timestamp());
        let load_seconds = load.elapsed().as_secs_f64();
        let authority = Authority::open(location.open().unwrap(), config, options).unwrap();
        measure(authority, n, partitions, out, load_seconds, "postgres");
        let StoreLocation::Postgres { schema, .. } = &location else {
            unreachable!("parsed from a postgres:// URL")
        };
        db.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
        return;
    }
    let mut store = SqliteStore::create(dir.path()).expect("state");
    Authority::init(&mut store, &config, &options, None, None).expect("init");
    drop(store);

    // Bulk-load N revoked signing certificates straight into the schema (the bench
    // measures the CRL, not issuance).
    let load = Instant::now();
    let mut db = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    let tx = db.transaction().unwrap();
    tx.execute(
        "INSERT INTO cards (name, birth, gender, address, prefecture, municipality, issued_on, expiry, key_alg, fee_yen, created_at)
         VALUES ('山田 太郎', '1990-10-01', 'male', '東京都品川区', 'Tokyo-to', 'Shinagawa-ku', '2021-03-15', '2030-10-01', 'rsa2048', 0, 0)",
        [],
    )
    .unwrap();
    // keyCompromise, affiliationChanged, cessationOfOperation, certificateHold, superseded
    let reasons = [1, 3, 5, 6, 4];
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO certificates (serial, card_id, kind, generation, prefecture, municipality, not_before, not_after, der, key_pkcs8, revoked_at, cause, reason, recorded_at)
                 VALUES (?1, 1, 'sign', 1, 'Bench-ken', ?6, ?2, ?3, x'00', x'00', ?4, 'leak', ?5, ?4)",
            )
            .unwrap();
        let t = now.unix_timestamp();
        for i in 0..n {
            insert
                .execute(rusqlite::params![
                    0x0200_0000 + i,
                    t - 86_400,
                    t + 86_400 * 365,
                    t - i64::from(i % 86_400),
                    reasons[(i % 5) as usize],
                    municipality(i % partitions.max(1)),
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    let load_seconds = load.elapsed().as_secs_f64();

    let store = SqliteStore::open(dir.path()).unwrap();
    let authority = Authority::open(Box::new(store), config, options).unwrap();
    measure(authority, n, partitions, out, load_seconds, "sqlite");
}

/// The same N revoked signing certificates, loaded into the PostgreSQL schema in one
/// statement; returns the connection (its search path the schema).
fn postgres_load(location: &StoreLocation, n: u32, partitions: u32, t: i64) -> postgres::Client {
    let StoreLocation::Postgres { url, schema } = location else {
        unreachable!("a PostgreSQL location")
    };
    let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
    db.batch_execute(&format!("SET search_path TO {schema}"))
        .unwrap();
    let card: i64 = db
        .query_one(
            "INSERT INTO cards (name, birth, gender, address, prefecture, municipality, issued_on, expiry, key_alg, fee_yen, created_at)
             VALUES ('山田 太郎', '1990-10-01', 'male', '東京都品川区', 'Tokyo-to', 'Shinagawa-ku', '2021-03-15', '2030-10-01', 'rsa2048', 0, 0)
             RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    let key: i64 = db
        .query_one(
            "INSERT INTO card_keys (digest, pkcs8) VALUES ('\\x00', '\\x00') RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    // The reasons cycle as in the SQLite load: keyCompromise, affiliationChanged,
    // cessationOfOperation, certificateHold, superseded.
    db.execute(
        "INSERT INTO certificates (serial, card_id, kind, generation, prefecture, municipality, not_before, not_after, der, key_id, revoked_at, cause, reason, recorded_at)
         SELECT 33554432 + i, $1::bigint, 'sign', 1, 'Bench-ken',
             'Town' || lpad((i % $2::bigint)::text, 4, '0') || '-shi',
             $3::bigint - 86400, $3::bigint + 86400 * 365, '\\x00', $4::bigint,
             $3::bigint - i % 86400, 'leak', (ARRAY[1, 3, 5, 6, 4])[i % 5 + 1],
             $3::bigint - i % 86400
         FROM generate_series(0::bigint, $5::bigint - 1) AS i",
        &[&card, &i64::from(partitions.max(1)), &t, &key, &i64::from(n)],
    )
    .unwrap();
    db.batch_execute("ANALYZE certificates").unwrap();
    db
}

/// Builds the whole CRL (and each partition's) and prints the figures.
fn measure(
    mut authority: Authority,
    n: u32,
    partitions: u32,
    out: Option<String>,
    load_seconds: f64,
    store: &str,
) {
    let rss_before = peak_rss_mib();
    let start = Instant::now();
    let der = authority
        .crl(&CrlScope::whole(CertKind::Sign, 1))
        .expect("crl")
        .der;
    let seconds = start.elapsed().as_secs_f64();
    let mut partition_figures = String::new();
    if partitions > 0 {
        let start = Instant::now();
        let mut slowest = 0f64;
        for p in 0..partitions {
            let scope = CrlScope {
                kind: CertKind::Sign,
                generation: 1,
                partition: Some(Locality {
                    prefecture: "Bench-ken".into(),
                    municipality: municipality(p),
                }),
            };
            let one = Instant::now();
            authority.crl(&scope).expect("partition");
            slowest = slowest.max(one.elapsed().as_secs_f64());
        }
        let all = start.elapsed().as_secs_f64();
        partition_figures = format!(
            " partitions={partitions} all_partitions_seconds={all:.3} per_partition_ms={:.2} slowest_partition_ms={:.2}",
            all * 1000.0 / f64::from(partitions),
            slowest * 1000.0
        );
    }
    if let Some(path) = out {
        std::fs::write(path, &der).unwrap();
    }
    println!(
        "jpki-mock store={store} entries={n} build_seconds={seconds:.3} crl_bytes={} peak_rss_mib={:.0}{partition_figures} (rss_before_build_mib={rss_before:.0}, bulk_load_seconds={load_seconds:.1})",
        der.len(),
        peak_rss_mib()
    );
}
