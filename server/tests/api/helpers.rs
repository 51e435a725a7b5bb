//! Starts the real server on a random port with a fresh database: an SQLite file, or a new,
//! uniquely named PostgreSQL database on 127.0.0.1:5432, dropped again when the test ends.
//! Without a reachable PostgreSQL its half of the tests is skipped and says so, except under
//! CI (`CI=true`), where that is a failure.

use consent_server::auth::{self, Keys, Secret, StaffRole};
use consent_server::seal::ServerKeys;
use consent_server::{Application, Settings};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{json, Value};
use std::sync::Arc;

pub const USER_SECRET: &str = "test-user-secret-0123456789abcdef0123456789";
pub const SERVICE_SECRET: &str = "test-service-secret-0123456789abcdef01234567";
pub const STAFF_SECRET: &str = "test-staff-secret-0123456789abcdef0123456789";
pub const SERVER_SECRET: &str = "test-server-secret-0123456789abcdef012345678";
/// The Ed25519 seed that signs the test servers' receipts.
pub const RECEIPT_KEY: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// The operator the test servers' receipts name.
pub const CONTROLLER_BIN: &str = "123456789012";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub http: Client,
    /// The first server on a database deletes it at the end; one started again on it does not.
    owns_database: bool,
}

/// A server in a process of its own; `app` talks to it.
pub struct ServerProcess {
    child: tokio::process::Child,
    pub app: TestApp,
}

impl ServerProcess {
    /// The process's resident memory, in bytes (Linux).
    pub fn resident_bytes(&self) -> u64 {
        let pid = self.child.id().expect("the server runs");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS in /proc/PID/status");
        kb * 1024
    }

    /// SIGKILL: the process ends at once, mid-write, with no chance to clean up.
    pub async fn kill(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

pub fn admin_postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn fresh_postgres() -> Option<String> {
    use sqlx::Connection;
    let admin = admin_postgres_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(conn) => conn,
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI needs PostgreSQL at {admin} for the PostgreSQL half of the tests: {e}");
            }
            // Straight to the terminal: libtest hides what passing tests print with eprintln!.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: the PostgreSQL runs of the API tests need a server at {admin}: {e}"
                );
            });
            return None;
        }
    };
    let name = format!("consent_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create a test database");
    Some(database_url_named(&name))
}

fn database_url_named(name: &str) -> String {
    let admin = admin_postgres_url();
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(&admin)
        .to_owned();
    format!("{base}/{name}")
}

/// Drops this test's own PostgreSQL database, and no other.
fn drop_own_postgres_database(url: &str) {
    let Some((_, name)) = url.rsplit_once('/') else {
        return;
    };
    if !name.starts_with("consent_t_") {
        return;
    }
    let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    // Drop runs outside any async context: a runtime of its own, on a thread of its own.
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_postgres_url()).await {
                let _ = sqlx::Executor::execute(&mut conn, statement.as_str()).await;
            }
        });
    })
    .join();
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if !self.owns_database {
            return;
        }
        if let Some(path) = self.database_url.strip_prefix("sqlite://") {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        } else {
            drop_own_postgres_database(&self.database_url);
        }
    }
}

pub fn test_keys() -> Keys {
    Keys {
        user: Secret::new(USER_SECRET.as_bytes()),
        service: Some(Secret::new(SERVICE_SECRET.as_bytes())),
        staff: Some(Secret::new(STAFF_SECRET.as_bytes())),
        server: Arc::new(ServerKeys::from_secret(SERVER_SECRET.as_bytes())),
    }
}

pub async fn spawn_app(db: Db) -> Option<TestApp> {
    spawn_app_with(db, |_| {}).await
}

/// A server whose settings the test changes first (limits, TLS).
pub async fn spawn_app_with(db: Db, configure: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let database_url = match db {
        Db::Sqlite => {
            let path = std::env::temp_dir()
                .join(format!("consent-test-{}.db", uuid::Uuid::new_v4().simple()));
            format!("sqlite://{}", path.display())
        }
        Db::Postgres => fresh_postgres().await?,
    };
    Some(serve(database_url, true, configure).await)
}

async fn serve(
    database_url: String,
    owns_database: bool,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.parse().expect("a database URL"),
        keys: test_keys(),
        allowed_origins: vec!["https://dosmart.kz".into()],
        demo: false,
        widget_dir: None,
        retention: Default::default(),
        // The purge is tested through its command; a background run would race the test.
        purge_daily: false,
        checkpoint_every: None,
        company_address: Some(COMPANY_ADDRESS.into()),
        limits: Default::default(),
        connections: Default::default(),
        trusted_proxies: Default::default(),
        tls: None,
        alerts: Default::default(),
        receipt_key: Some(
            consent_server::receipts::ReceiptKey::from_seed_hex(RECEIPT_KEY).unwrap(),
        ),
        receipt_retired_keys: Vec::new(),
        controller: consent_core::receipt::Controller {
            name: "AITU Sauda LLP".into(),
            bin: Some(CONTROLLER_BIN.into()),
            contact: Some("privacy@dosmart.kz".into()),
        },
    };
    configure(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the server starts");
    let base = format!("{}://{}", app.scheme(), app.local_addr());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        database_url,
        http: Client::new(),
        owns_database,
    }
}

/// The address the test servers are configured with, for written applications (2.6).
pub const COMPANY_ADDRESS: &str = "050000, Алматы, тестовая ул., 7";

pub fn user_token(user: &str) -> String {
    auth::issue(
        &Secret::new(USER_SECRET.as_bytes()),
        auth::USER_AUDIENCE,
        user,
        None,
        600,
    )
}

pub fn service_token() -> String {
    auth::issue(
        &Secret::new(SERVICE_SECRET.as_bytes()),
        auth::SERVICE_AUDIENCE,
        "crm",
        None,
        600,
    )
}

pub fn staff_token(who: &str, role: StaffRole) -> String {
    auth::issue(
        &Secret::new(STAFF_SECRET.as_bytes()),
        auth::STAFF_AUDIENCE,
        who,
        Some(role),
        600,
    )
}

/// A device id with the proof the server would have issued for it.
pub struct Device {
    pub id: String,
    pub proof: String,
}

pub fn new_device() -> Device {
    let id = uuid::Uuid::new_v4().to_string();
    let proof = ServerKeys::from_secret(SERVER_SECRET.as_bytes()).device_proof(&id);
    Device { id, proof }
}

pub trait AsDevice {
    /// Sends the request as this device: its id and its proof.
    fn device(self, device: &Device) -> Self;
}

impl AsDevice for RequestBuilder {
    fn device(self, device: &Device) -> Self {
        self.header("X-Consent-Device", &device.id)
            .header("X-Consent-Device-Proof", &device.proof)
    }
}

pub fn event(kind: &str) -> Value {
    json!({ "id": uuid::Uuid::new_v4().to_string(), "kind": kind, "at": "2026-11-25T10:00:00.000Z" })
}

impl TestApp {
    /// A fresh server and database of the same kind.
    pub async fn another(&self) -> TestApp {
        let db = if self.database_url.starts_with("sqlite") {
            Db::Sqlite
        } else {
            Db::Postgres
        };
        spawn_app(db)
            .await
            .expect("the database was reachable a moment ago")
    }

    /// Another server on this test's database, with settings of its own (another receipt key).
    pub async fn same_database_with(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        serve(self.database_url.clone(), false, configure).await
    }

    /// An edition published `days_ago` calendar days ago in Kazakhstan, put straight into the
    /// database (the API refuses past dates), and a server started again to read it.
    pub async fn with_edition_published_days_ago(&self, version: &str, days_ago: i64) -> TestApp {
        let now = consent_core::Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64,
        );
        let published = now.kazakhstan_date().add_days(-days_ago);
        for mut edition in consent_core::editions() {
            edition.version = consent_core::EditionVersion::parse(version).unwrap();
            edition.published = published;
            let document = serde_json::to_string(&edition).unwrap().replace('\'', "''");
            self.sql(&format!(
                "INSERT INTO editions (version, language, published, document, created_at) VALUES ('{version}', '{}', '{published}', '{document}', {})",
                edition.language.code(),
                now.millis()
            ))
            .await
            .unwrap();
        }
        // `self` still owns (and at its end deletes) the database.
        serve(self.database_url.clone(), false, |_| {}).await
    }

    /// `GET path` with no identity, as anyone may send it.
    pub async fn public(&self, path: &str) -> Response {
        self.get(path).send().await.unwrap()
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.http.put(format!("{}{path}", self.base))
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.http.delete(format!("{}{}", self.base, path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.http.post(format!("{}{path}", self.base))
    }

    /// A GET that must succeed, as JSON.
    pub async fn get_json(&self, path: &str, token: impl AsRef<str>) -> Value {
        let response = self
            .get(path)
            .bearer_auth(token.as_ref())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// A GET anyone may make, as JSON.
    pub async fn public_json(&self, path: &str) -> Value {
        let response = self.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    pub async fn withdraw(&self, token: &str, body: &Value) -> Response {
        self.post("/v1/withdrawals")
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_events(&self, token: &str, batch: &Value) -> Response {
        self.post("/v1/events")
            .bearer_auth(token)
            .json(batch)
            .send()
            .await
            .unwrap()
    }

    /// The company's systems upsert what they hold about `user`.
    pub async fn upsert_data(&self, user: &str, body: &Value) -> Response {
        self.put(&format!("/v1/admin/subjects/{user}/data"))
            .bearer_auth(service_token())
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_consents(&self, token: &str, choices: Value) -> Response {
        self.put("/v1/consents")
            .bearer_auth(token)
            .json(&json!({ "policy_version": "2026-11", "lang": "kk", "choices": choices }))
            .send()
            .await
            .unwrap()
    }

    /// `PUT /v1/consents` in Russian as a signed-in user from a device (which links it, the
    /// first time); the answer's body.
    pub async fn put_consents_from_device(
        &self,
        token: &str,
        device: &Device,
        choices: Value,
    ) -> Value {
        let response = self
            .put("/v1/consents")
            .bearer_auth(token)
            .device(device)
            .json(&json!({ "policy_version": "2026-11", "lang": "ru", "choices": choices }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "PUT /v1/consents from a device");
        response.json().await.unwrap()
    }

    /// `PUT /v1/consents` in Russian with an `Idempotency-Key`.
    pub async fn put_consents_with_key(&self, token: &str, choices: Value, key: &str) -> Response {
        self.put("/v1/consents")
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&json!({ "policy_version": "2026-11", "lang": "ru", "choices": choices }))
            .send()
            .await
            .unwrap()
    }

    pub async fn consents(&self, token: &str) -> Value {
        let response = self
            .get("/v1/consents")
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// An anonymous device answers: `choices` as in `PUT /v1/consents`; must succeed.
    pub async fn answer_as_device(&self, device: &Device, choices: Value) {
        let body = json!({ "policy_version": "2026-11", "lang": "kk", "choices": choices });
        let response = self
            .put("/v1/consents")
            .device(device)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "PUT /v1/consents as a device");
    }

    /// `GET /v1/consents` as a signed-in user from a device (which links it, the first time).
    pub async fn consents_from_device(&self, token: &str, device: &Device) -> Value {
        let response = self
            .get("/v1/consents")
            .bearer_auth(token)
            .device(device)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET /v1/consents from a device");
        response.json().await.unwrap()
    }

    /// The user's ledger as staff see it, to check what was or was not written: without the
    /// records of staff looks, this one included (each look is itself recorded).
    pub async fn ledger_of(&self, user: &str) -> Vec<Value> {
        let response = self
            .get(&format!(
                "/v1/admin/subjects/{user}/records?reason=integration%20test%20check"
            ))
            .bearer_auth(staff_token("auditor", StaffRole::PrivacyOfficer))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["records"]["consent_history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|record| kind_of(record) != "staff_access")
            .cloned()
            .collect()
    }

    /// Runs `consent-server <args> --database <this test's database>` with the server's secret.
    pub async fn command(&self, args: &[&str]) -> std::process::Output {
        self.command_with(args, &[]).await
    }

    /// A command with these environment variables besides the server's secret.
    pub async fn command_with(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_consent-server"))
            .args(args)
            .args(["--database", &self.database_url])
            .env("CONSENT_SERVER_SECRET", SERVER_SECRET)
            .env_remove("DATABASE_URL")
            .env_remove("CONSENT_RECEIPT_KEY")
            .envs(env.iter().copied())
            .output()
            .await
            .unwrap()
    }

    /// A member of staff reads a user's records, saying why.
    pub async fn staff_look(&self, user: &str, reason: &str, staff: &str) -> Response {
        let reason: String = url_escaped(reason);
        self.get(&format!(
            "/v1/admin/subjects/{user}/records?reason={reason}"
        ))
        .bearer_auth(staff)
        .send()
        .await
        .unwrap()
    }

    /// Another server process on this test's database, with the same secrets: what a
    /// deployment on several machines runs. Killed when dropped.
    pub async fn another_process(&self) -> ServerProcess {
        self.process_logging_to(None).await
    }

    /// Another server process whose log (at `level`) goes to `log`, when given.
    pub async fn process_logging_to(&self, log: Option<(&std::path::Path, &str)>) -> ServerProcess {
        self.process_with(log, &[]).await
    }

    /// Another server process with these environment variables set besides the usual ones.
    pub async fn process_with(
        &self,
        log: Option<(&std::path::Path, &str)>,
        env: &[(&str, &str)],
    ) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_consent-server"));
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--database", &self.database_url])
            .env("CONSENT_SERVER_SECRET", SERVER_SECRET)
            .env("CONSENT_JWT_SECRET", USER_SECRET)
            .env("CONSENT_SERVICE_SECRET", SERVICE_SECRET)
            .env("CONSENT_STAFF_SECRET", STAFF_SECRET)
            .env("CONSENT_RECEIPT_KEY", RECEIPT_KEY)
            .env("RUST_LOG", log.map_or("warn", |(_, level)| level))
            .env_remove("DATABASE_URL")
            .envs(env.iter().copied())
            .kill_on_drop(true);
        if let Some((path, _)) = log {
            let file = std::fs::File::create(path).unwrap();
            command.stdout(file.try_clone().unwrap()).stderr(file);
        }
        let child = command.spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if let Ok(r) = self.http.get(format!("{base}/healthz")).send().await {
                if r.status() == 200 {
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        ServerProcess {
            child,
            app: TestApp {
                base,
                database_url: self.database_url.clone(),
                http: self.http.clone(),
                owns_database: false,
            },
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite")
    }

    /// What an insider with database access does first: drops the guards that keep the
    /// ledger and the checkpoints append-only.
    pub async fn drop_ledger_guards(&self) {
        let statements = if self.is_sqlite() {
            "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete; DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;"
        } else {
            "DROP TRIGGER ledger_no_update ON ledger; DROP TRIGGER ledger_no_delete ON ledger; DROP TRIGGER ledger_no_truncate ON ledger; DROP TRIGGER checkpoints_no_change ON checkpoints;"
        };
        self.sql(statements).await.unwrap();
    }

    /// Another handle on the same server, for a task of its own.
    pub fn clone_client(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            database_url: self.database_url.clone(),
            http: self.http.clone(),
            owns_database: false,
        }
    }

    /// How many rows of `table` are the subject's.
    /// How many rows `table` has.
    pub async fn count_all(&self, table: &str) -> i64 {
        use sqlx::{Connection, Row};
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .unwrap();
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        row.get::<i64, _>("n")
    }

    pub async fn count_rows(&self, table: &str, subject: &str) -> i64 {
        use sqlx::{Connection, Row};
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .unwrap();
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE subject = $1");
        let row = sqlx::query(&sql)
            .bind(subject)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        row.get::<i64, _>("n")
    }

    /// Runs SQL straight on the database, as someone with access to it could.
    pub async fn sql(&self, statement: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url).await?;
        sqlx::raw_sql(statement).execute(&mut conn).await?;
        Ok(())
    }
}

/// The kind of a ledger entry as the API shows it: `{"record": {"<kind>": {…}}}`.
pub fn kind_of(entry: &Value) -> &str {
    entry["record"]
        .as_object()
        .and_then(|record| record.keys().next())
        .map(String::as_str)
        .unwrap_or_default()
}

/// What a ledger entry of its kind holds.
pub fn detail_of(entry: &Value) -> &Value {
    &entry["record"][kind_of(entry)]
}

/// The entry of a JSON list whose `id` is `id`; a test fails here when it is missing.
pub fn by_id<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .and_then(|entries| entries.iter().find(|e| e["id"] == id))
        .unwrap_or_else(|| panic!("no `{id}` in {list}"))
}

pub fn granted(state: &Value, purpose: &str) -> bool {
    state["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purpose"] == purpose)
        .unwrap_or_else(|| panic!("{purpose} in state"))["granted"]
        .as_bool()
        .unwrap()
}

pub async fn error_of(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "status");
    let body: Value = response.json().await.expect("errors are JSON");
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
    body
}

/// The error message of a response that must have failed with `status`.
pub async fn message_of(response: Response, status: u16) -> String {
    error_of(response, status).await["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs one test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! both_databases {
    // Bodies that start their own server (with settings of their own) from the database kind.
    (db: $($name:ident),* $(,)?) => {
        mod sqlite_db {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::helpers::Db::Sqlite).await;
            })*
        }
        mod postgres_db {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::helpers::Db::Postgres).await;
            })*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let app = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite).await.unwrap();
                super::$name(app).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Db::Postgres).await {
                    super::$name(app).await;
                }
            })*
        }
    };
}

/// `text` as a query value: spaces and what is not ASCII, percent-encoded.
fn url_escaped(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
