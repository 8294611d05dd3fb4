//! The composition root: the one place that knows both the command line ([`commands`]) and
//! the web service ([`web`]), which never import each other (docs/architecture.md).

use std::net::TcpListener;

use crate::cli::{Cli, Command, ServeArgs};
use crate::commands;
use crate::configuration::Settings;
use crate::reports::disclosure_audit;
use crate::shutdown::Shutdown;
use crate::web::{self, AppState};
use crate::{demo, telemetry};

/// Runs one invocation of the `worklife` binary.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args),
        command => commands::run(command),
    }
}

/// `worklife serve`: the web service, and the mail worker and schedule when configured.
fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (mut settings, pool) = commands::storage()?;
    telemetry::init(&settings.log_format);
    if let Some(bind) = args.bind {
        settings.bind = bind;
    }
    let listener = TcpListener::bind(&settings.bind)?;
    let address = listener.local_addr()?;
    // Without a base_url of its own, the links this process prints and mails (sign-in,
    // answer links) point at where it listens, e.g. `serve --demo --bind 127.0.0.1:9000`.
    if settings.base_url == Settings::default().base_url {
        let ip = if address.ip().is_unspecified() {
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        } else {
            address.ip()
        };
        settings.base_url = format!("http://{}", std::net::SocketAddr::new(ip, address.port()));
    }
    if args.demo {
        commands::demo::ensure(&pool, &settings, demo::DEFAULT_SEED)?;
        // The demo's invitations name its organisation; the form, the error pages and
        // later reminders should too, unless the operator named one.
        if settings.organisation == Settings::default().organisation {
            settings.organisation = demo::ROOT.to_string();
        }
    }
    let metrics_listener = match settings.metrics_bind.trim() {
        "" => None,
        bind => Some(TcpListener::bind(bind).map_err(|e| {
            anyhow::anyhow!(
                "metrics_bind {bind}: {e} (set WORKLIFE_METRICS_BIND, or \"\" for none)"
            )
        })?),
    };
    // Requests are logged by `web::spans` (route templates only, A4), set up in `web::run`.
    let timeout = std::time::Duration::from_secs(settings.shutdown_timeout_secs);
    // Background workers take `shutdown.subscribe()` and finish their round on a signal.
    let shutdown = Shutdown::default();
    let background = settings
        .mail
        .worker
        .then(|| (pool.clone(), settings.clone()));
    let audit_pause = std::time::Duration::from_millis(settings.mail.tick_ms.max(10));
    let state = AppState::new(pool, settings)?;
    state
        .access
        .releases
        .warm_up(state.pool.clone(), state.instruments.clone());
    // Every closed wave's release is audited once and the result kept, whoever closed it
    // (docs/privacy.md D5): the waves console and `wave status` show it.
    {
        let (pool, releases) = (state.pool.clone(), state.access.releases.clone());
        let (instruments, stop) = (state.instruments.clone(), shutdown.subscribe());
        let skip = disclosure_audit::left_at_start(&pool);
        std::thread::Builder::new()
            .name("release-audit".into())
            .spawn(move || {
                disclosure_audit::run_forever(pool, releases, instruments, audit_pause, skip, stop)
            })?;
    }
    actix_web::rt::System::new().block_on(async move {
        let metrics = match metrics_listener {
            Some(l) => {
                let at = l.local_addr()?;
                let server = web::run_metrics(l, &state)?;
                let handle = server.handle();
                actix_web::rt::spawn(server);
                Some((at, handle))
            }
            None => None,
        };
        let server = web::run(listener, state)?;
        shutdown.stop_on_signals(server.handle());
        // Started once signals are handled, so a SIGTERM never cuts a batch short.
        if let Some((pool, settings)) = background {
            commands::mail::spawn_background(&pool, &settings, &shutdown)?;
        }
        // Tests and scripts read this line to find the port; it goes out once signals are
        // handled, so a SIGTERM right after it is already a graceful stop.
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "worklife listening on http://{address}")?;
            if let Some((at, _)) = &metrics {
                writeln!(out, "metrics on http://{at}/metrics")?;
            }
            out.flush()?;
        }
        server.await?;
        if let Some((_, handle)) = metrics {
            handle.stop(true).await;
        }
        // The server also ends without a signal if it fails; workers must stop either way.
        shutdown.trigger();
        if !shutdown.workers_done(timeout).await {
            tracing::warn!("background workers did not finish within the shutdown timeout");
        }
        tracing::info!("stopped");
        Ok(())
    })
}
