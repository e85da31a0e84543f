<?php
/**
 * `wp platform <install|activate-theme|verify|flush-caches|upgrade-db>`: the commands of a site's Jobs
 * (docs/image.md), a WP-CLI package of the image loaded by wp-cli.yml's `require:`.
 *
 * Each reads only the Job's environment and the site's mounted settings file, which wp-config.php
 * resolves from WP_SITE_ID (the admin password comes from that file, never argv or env). They use
 * WordPress's own API, never send mail, and make no HTTP request but verify's one GET of the site's
 * home, as a visitor, from a web server of the Job's own image that it starts on loopback (or,
 * with WP_PLATFORM_SERVICE_URL, through that URL). Output: one line per step
 * on stdout; on failure one line `Error: <reason>` on stderr and exit 1 (WP-CLI's convention).
 *
 * Environment besides the contract's:
 *   WP_PLATFORM_DB_WAIT_SECONDS  how long install waits for the database to accept the site
 *                                user's TLS connection (default 300; the other Jobs try once)
 *   WP_PLATFORM_SERVICE_URL      verify, optional: a running web server of the color under test to
 *                                GET the home page from instead of its own (the program sets none:
 *                                the color's pods roll out after verify, so they still run the old
 *                                image, and on a new stack there are none yet)
 *   WP_PLATFORM_BACKUP_URL       upgrade-db: the folder its backup goes to, a path or a stream URL
 *                                (s3://<bucket>/sites/<id>/backups once the S3 wrapper is loaded)
 *
 * install is idempotent and resumable: every step can run again, the steps that write rows run in
 * one transaction each (a kill rolls the step back), the sample content is written with its own
 * marker, and the option wp_platform_installed is written last. A site with that marker is never
 * re-populated: a re-run only ensures the admin and sets home, siteurl and blogname. After each
 * step it fires the action `wp_platform_checkpoint` with the step's name (tests hook it to kill
 * the process there; the image itself does nothing on it).
 */

if ( ! class_exists( 'WP_CLI' ) ) {
	return;
}

require_once __DIR__ . '/lib.php';
require_once __DIR__ . '/standard-commands.php';

/** The Job this process runs (`install`, ...), or null for any other WP-CLI command. */
function wp_platform_current_job(): ?string {
	$args = WP_CLI::get_runner()->arguments;
	if ( 'platform' !== ( $args[0] ?? null ) || ! isset( $args[1] ) || ! isset( WP_PLATFORM_JOB_ENV[ $args[1] ] ) ) {
		return null;
	}
	return $args[1];
}

/** The site as wp-config.php resolved it from WP_SITE_ID: `id` and `settings`. */
function wp_platform_site(): array {
	return $GLOBALS['wp_platform_site'] ?? array( 'id' => getenv( 'WP_SITE_ID' ) ?: '?', 'settings' => array() );
}

function wp_platform_say( string $line ): void {
	WP_CLI::log( wp_platform_current_job() . ": $line" );
}

/** The end of a step of install: the action tests hook to kill the process right there. */
function wp_platform_checkpoint( string $step ): void {
	do_action( 'wp_platform_checkpoint', $step, wp_platform_current_job() );
}

/**
 * Connects as the site's user over verified TLS, retrying until $wait_seconds have passed (the
 * site's database, user and grant may still be on their way). Returns the TLS cipher.
 */
function wp_platform_wait_for_database( int $wait_seconds ): string {
	$deadline    = microtime( true ) + $wait_seconds;
	$last_report = 0.0;
	while ( true ) {
		$dbh   = mysqli_init();
		$error = wp_platform_db_connect( $dbh, DB_HOST, DB_USER, DB_PASSWORD, DB_NAME );
		if ( null === $error ) {
			$row    = mysqli_query( $dbh, "SHOW SESSION STATUS LIKE 'Ssl_cipher'" );
			$cipher = $row ? (string) ( mysqli_fetch_row( $row )[1] ?? '' ) : '';
			mysqli_close( $dbh );
			if ( '' === $cipher ) {
				throw new WP_Platform_Job_Error( 'database connection is not encrypted (Ssl_cipher is empty)' );
			}
			return $cipher;
		}
		$now = microtime( true );
		if ( $now >= $deadline ) {
			throw new WP_Platform_Job_Error( $error . ( $wait_seconds > 0 ? " (waited {$wait_seconds}s)" : '' ) );
		}
		if ( $now - $last_report >= 10 ) {
			WP_CLI::log( "waiting for the database: $error" );
			$last_report = $now;
		}
		usleep( (int) ( 1e6 * min( 2, $deadline - $now ) ) );
	}
}

/** Database errors wpdb recorded (in $EZSQL_ERROR) since the count $since. */
function wp_platform_db_error_count(): int {
	global $EZSQL_ERROR;
	return is_array( $EZSQL_ERROR ) ? count( $EZSQL_ERROR ) : 0;
}

function wp_platform_throw_db_errors( int $since, string $what ): void {
	global $EZSQL_ERROR;
	$errors = array_slice( is_array( $EZSQL_ERROR ) ? $EZSQL_ERROR : array(), $since );
	if ( $errors ) {
		$first = $errors[0];
		throw new WP_Platform_Job_Error( "$what: database error: {$first['error_str']} (in: " . substr( (string) $first['query'], 0, 160 ) . ')' );
	}
}

/**
 * Runs $fn in one database transaction: a kill or an error leaves nothing of it behind, so the
 * step can simply run again. Only for steps that write rows (DDL would commit implicitly).
 */
function wp_platform_transaction( string $what, callable $fn ) {
	global $wpdb;
	$since = wp_platform_db_error_count();
	if ( false === $wpdb->query( 'START TRANSACTION' ) ) {
		wp_platform_throw_db_errors( $since, $what );
	}
	try {
		$result = $fn();
		wp_platform_throw_db_errors( $since, $what );
	} catch ( Throwable $e ) {
		$wpdb->query( 'ROLLBACK' );
		wp_cache_flush();
		throw $e;
	}
	if ( false === $wpdb->query( 'COMMIT' ) ) {
		wp_platform_throw_db_errors( $since, "$what (commit)" );
	}
	return $result;
}

function wp_platform_table_exists( string $table ): bool {
	global $wpdb;
	return $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) );
}

/** An option read from the table itself, so no constant (WP_HOME, WP_SITEURL) or cache hides it. */
function wp_platform_stored_option( string $name ): ?string {
	global $wpdb;
	if ( ! wp_platform_table_exists( $wpdb->options ) ) {
		return null;
	}
	$value = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM $wpdb->options WHERE option_name = %s", $name ) );
	return null === $value ? null : (string) $value;
}

function wp_platform_is_installed(): bool {
	return null !== wp_platform_stored_option( WP_PLATFORM_INSTALLED_OPTION );
}

/**
 * Before WordPress loads, for a `wp platform` Job: load it as its installer does (no redirect to
 * install.php, no dying on a half-made schema), with no mail and no HTTP; once wp-config.php has
 * resolved the site, wait for its database over verified TLS.
 */
function wp_platform_prepare( string $job ): void {
	define( 'WP_PLATFORM_JOB', $job );
	define( 'WP_INSTALLING', true );
	// wp_not_installed() calls is_blog_installed() before it looks at WP_INSTALLING, and that dies
	// ("One or more database tables are unavailable") when a killed install left some tables but
	// no siteurl: the reason a retry could never finish. WP_REPAIRING makes it return early
	// (wp-includes/functions.php, is_blog_installed); the Jobs decide "installed" themselves.
	define( 'WP_REPAIRING', true );
	define( 'WP_DISABLE_FATAL_ERROR_HANDLER', true );
	WP_CLI::add_wp_hook( 'pre_wp_mail', fn() => false );
	WP_CLI::add_wp_hook( 'pre_http_request', fn() => new WP_Error( 'wp_platform_no_http', 'a Job makes no HTTP request' ) );
	WP_CLI::add_hook(
		'after_wp_config_load',
		function () use ( $job ) {
			try {
				foreach ( WP_PLATFORM_JOB_ENV[ $job ] as $name ) {
					wp_platform_job_env( $name );
				}
				$wait = 'install' === $job ? wp_platform_wait_seconds( getenv( 'WP_PLATFORM_DB_WAIT_SECONDS' ) ) : 0;
				try {
					$GLOBALS['wp_platform_cipher'] = wp_platform_wait_for_database( $wait );
				} catch ( RuntimeException $e ) {
					throw new WP_Platform_Job_Error( 'database not reachable over TLS: ' . $e->getMessage() );
				}
			} catch ( RuntimeException $e ) {
				WP_CLI::error( wp_platform_one_line( $e->getMessage() ) );
			}
		}
	);
}

/**
 * The Jobs of a wp-platform site: install, activate-theme, verify, flush-caches.
 */
class WP_Platform_Command extends WP_CLI_Command {

	/**
	 * Installs the site of WP_SITE_ID, resuming a killed install. Reads WP_SITE_URL and
	 * WP_SITE_TITLE, and the admin from the mounted settings file.
	 */
	public function install( $args = array(), $assoc_args = array() ) {
		$this->run(
			$args,
			$assoc_args,
			function () {
				require_once ABSPATH . 'wp-admin/includes/upgrade.php';
				$this->do_install();
			}
		);
	}

	/**
	 * Activates WP_THEME, which must be in the image; never downloads.
	 *
	 * @subcommand activate-theme
	 */
	public function activate_theme( $args = array(), $assoc_args = array() ) {
		$this->run(
			$args,
			$assoc_args,
			function () {
				$slug = wp_platform_job_env( 'WP_THEME' );
				if ( ! wp_platform_is_installed() ) {
					throw new WP_Platform_Job_Error( 'site is not installed (run install first)' );
				}
				$theme = wp_platform_image_theme( $slug );
				wp_platform_say( "theme: $slug " . $theme->get( 'Version' ) . ' is in the image' );
				$since  = wp_platform_db_error_count();
				$result = wp_platform_switch_theme( $slug );
				wp_platform_throw_db_errors( $since, 'activate' );
				if ( wp_platform_stored_option( 'stylesheet' ) !== $slug ) {
					throw new WP_Platform_Job_Error( "activate: $slug is still not the active theme after switch_theme" );
				}
				wp_platform_say( 'already' === $result ? "activate: $slug is already active" : "activate: $slug activated" );
			}
		);
	}

	/**
	 * Checks the site against this image: database over verified TLS, installed, admin,
	 * siteurl and home, WP_THEME in the image and active.
	 */
	public function verify( $args = array(), $assoc_args = array() ) {
		$this->run( $args, $assoc_args, array( $this, 'do_verify' ) );
	}

	/**
	 * When this core's schema is newer than the site's database: backs the database up to
	 * WP_PLATFORM_BACKUP_URL, then runs `wp core update-db`. Otherwise says so and does nothing.
	 *
	 * @subcommand upgrade-db
	 */
	public function upgrade_db( $args = array(), $assoc_args = array() ) {
		$this->run( $args, $assoc_args, array( $this, 'do_upgrade_db' ) );
	}

	/**
	 * Flushes the site's object cache, deletes its transients, and with an edge invalidates the
	 * site's distribution tenant.
	 *
	 * @subcommand flush-caches
	 */
	public function flush_caches( $args = array(), $assoc_args = array() ) {
		$this->run(
			$args,
			$assoc_args,
			function () {
				global $wpdb;
				try {
					$what = wp_platform_flush_object_cache();
				} catch ( RuntimeException $e ) {
					throw new WP_Platform_Job_Error( $e->getMessage() );
				}
				wp_platform_say( "object cache: flushed $what" );
				$since   = wp_platform_db_error_count();
				$deleted = $wpdb->query(
					"DELETE FROM $wpdb->options WHERE option_name LIKE '\\_transient\\_%' OR option_name LIKE '\\_site\\_transient\\_%'"
				);
				wp_platform_throw_db_errors( $since, 'transients' );
				wp_platform_say( "transients: $deleted rows deleted" );
				// The edge's copies too, when the stack has one: the site's own tenant, every path.
				$tenant = getenv( 'WP_PLATFORM_EDGE_TENANT_ID' );
				if ( false === $tenant || '' === $tenant ) {
					wp_platform_say( 'edge: none (the stack has no edge)' );
				} else {
					try {
						// CloudFront's API is global, in us-east-1; the SDK is WP-CLI's own vendor folder.
						$client = new Aws\CloudFront\CloudFrontClient( array( 'version' => '2020-05-31', 'region' => 'us-east-1' ) );
						$done   = wp_platform_invalidate_tenant( $client, $tenant, WP_PLATFORM_SITE_ID );
					} catch ( Exception $e ) {
						throw new WP_Platform_Job_Error( "edge: invalidating tenant $tenant failed: " . wp_platform_one_line( $e->getMessage() ) );
					}
					wp_platform_say( "edge: invalidation {$done['id']} of tenant $tenant (/*): {$done['status']}" );
				}
				$this->ok();
			}
		);
	}

	/** Runs a Job's body: any failure is one `Error:` line and exit 1. */
	private function run( array $args, array $assoc_args, callable $body ): void {
		global $wpdb;
		try {
			if ( ! defined( 'WP_PLATFORM_JOB' ) ) {
				throw new WP_Platform_Job_Error( 'wp platform commands must be named first on the command line (wp platform <job>)' );
			}
			if ( $args || $assoc_args ) {
				// Everything a Job needs is in its environment and its settings file.
				$given = implode( ' ', array_merge( $args, array_map( fn( $k ) => "--$k", array_keys( $assoc_args ) ) ) );
				throw new WP_Platform_Job_Error( 'wp platform ' . WP_PLATFORM_JOB . " takes no arguments (got: $given); it reads the Job's environment and settings file" );
			}
			if ( ! ( $wpdb instanceof WP_Platform_DB ) ) {
				throw new WP_Platform_Job_Error( 'wp-content/db.php (the TLS drop-in) is not in ' . WP_CONTENT_DIR );
			}
			if ( ! $wpdb->ready ) {
				throw new WP_Platform_Job_Error( 'database not reachable over TLS: ' . ( $wpdb->wp_platform_connect_error ?? 'connection failed' ) );
			}
			$body();
		} catch ( Throwable $e ) {
			$message = $e instanceof RuntimeException ? $e->getMessage() : get_class( $e ) . ': ' . $e->getMessage();
			WP_CLI::error( wp_platform_one_line( $message ) );
		}
	}

	private function ok(): void {
		$color = getenv( 'WP_PLATFORM_COLOR' );
		wp_platform_say( 'ok: site ' . WP_PLATFORM_SITE_ID . ( $color ? " on $color" : '' ) );
	}

	private function do_install(): void {
		global $wpdb;
		$site  = wp_platform_site();
		$url   = wp_platform_site_url( wp_platform_job_env( 'WP_SITE_URL' ) );
		$title = wp_platform_job_env( 'WP_SITE_TITLE' );
		$login = wp_platform_setting( $site, 'WP_ADMIN_USER' );
		$email = wp_platform_setting( $site, 'WP_ADMIN_EMAIL' );
		$pass  = wp_platform_setting( $site, 'WP_ADMIN_PASSWORD' );

		wp_platform_say( "database: connected over TLS ({$GLOBALS['wp_platform_cipher']})" );
		wp_platform_checkpoint( 'database' );

		$installed = wp_platform_is_installed();
		wp_cache_flush();

		// schema: dbDelta creates what is missing and leaves existing tables and rows alone.
		if ( $installed ) {
			wp_platform_say( 'schema: skipped (site installed)' );
		} else {
			// dbDelta() records a DESCRIBE error for each table it has yet to create, so the check
			// is that every table exists afterwards.
			make_db_current_silent();
			foreach ( $wpdb->tables( 'blog' ) + $wpdb->tables( 'global' ) as $table ) {
				if ( ! wp_platform_table_exists( $table ) ) {
					throw new WP_Platform_Job_Error( "schema: table $table was not created: " . ( $wpdb->last_error ?: 'no error reported' ) );
				}
			}
			wp_platform_say( 'schema: tables ready' );
		}
		wp_platform_checkpoint( 'schema' );

		// options: populate_options() only adds options that do not exist yet. permalink_structure
		// is set here so WordPress never probes the site over HTTP to choose one.
		if ( $installed ) {
			wp_platform_say( 'options: skipped (site installed)' );
		} else {
			wp_platform_transaction(
				'options',
				function () use ( $url, $title, $email ) {
					populate_options(
						array(
							'siteurl'             => $url,
							'home'                => $url,
							'blogname'            => $title,
							'admin_email'         => $email,
							'permalink_structure' => WP_PLATFORM_PERMALINKS,
							'fresh_site'          => 1,
						)
					);
				}
			);
			wp_platform_say( 'options: defaults in place' );
		}
		wp_platform_checkpoint( 'options' );

		// roles: add_role() leaves an existing role as it is.
		if ( $installed ) {
			wp_platform_say( 'roles: skipped (site installed)' );
		} else {
			wp_platform_transaction( 'roles', 'populate_roles' );
			wp_roles()->for_site();
			wp_platform_say( 'roles: in place' );
		}
		wp_platform_checkpoint( 'roles' );

		// admin: created with the password from the settings file; an existing admin keeps its
		// password (it may have been changed in WordPress) but always gets the administrator role.
		$user_id = wp_platform_transaction(
			'admin',
			function () use ( $login, $email, $pass, $url ) {
				$user_id = username_exists( $login );
				if ( ! $user_id ) {
					$user_id = wp_insert_user(
						array(
							'user_login' => $login,
							'user_pass'  => $pass,
							'user_email' => $email,
							'user_url'   => $url,
							'role'       => 'administrator',
						)
					);
					if ( is_wp_error( $user_id ) ) {
						throw new WP_Platform_Job_Error( "admin: cannot create user $login: " . $user_id->get_error_message() );
					}
					wp_platform_say( "admin: created $login (administrator)" );
					return (int) $user_id;
				}
				$user = new WP_User( $user_id );
				if ( ! in_array( 'administrator', $user->roles, true ) ) {
					$user->add_role( 'administrator' );
					wp_platform_say( "admin: $login exists, administrator role added" );
				} else {
					wp_platform_say( "admin: $login exists (administrator)" );
				}
				return (int) $user_id;
			}
		);
		wp_platform_checkpoint( 'admin' );

		// content: WordPress's first post, page and widgets, written once. wp_install_defaults()
		// hard-codes the ids 1-3, so it runs only on empty tables, with their counters reset in
		// case a killed earlier attempt used ids before its rollback.
		if ( $installed || wp_platform_stored_option( WP_PLATFORM_CONTENT_OPTION ) !== null ) {
			wp_platform_say( 'content: skipped (already written)' );
		} elseif ( (int) $wpdb->get_var( "SELECT COUNT(*) FROM $wpdb->posts" ) > 0 || (int) $wpdb->get_var( "SELECT COUNT(*) FROM $wpdb->terms" ) > 0 ) {
			wp_platform_transaction( 'content', fn() => update_option( WP_PLATFORM_CONTENT_OPTION, 'existing', false ) );
			wp_platform_say( 'content: kept the posts already there' );
		} else {
			foreach ( array( $wpdb->posts, $wpdb->postmeta, $wpdb->comments, $wpdb->terms, $wpdb->term_taxonomy ) as $table ) {
				$wpdb->query( "ALTER TABLE $table AUTO_INCREMENT = 1" );
			}
			wp_platform_transaction(
				'content',
				function () use ( $user_id ) {
					wp_install_defaults( $user_id );
					update_option( WP_PLATFORM_CONTENT_OPTION, gmdate( 'c' ), false );
				}
			);
			wp_platform_say( 'content: first post, sample page and widgets written' );
		}
		wp_platform_checkpoint( 'content' );

		// site: the URL and title from the Job, on every run (a site can be renamed or moved).
		wp_platform_transaction(
			'site',
			function () use ( $url, $title ) {
				update_option( 'home', $url );
				update_option( 'siteurl', $url );
				update_option( 'blogname', $title );
			}
		);
		wp_platform_say( "site: home and siteurl $url, title " . json_encode( $title, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ) );
		wp_platform_checkpoint( 'site' );

		// finish: the marker that says every step above is done, written last.
		if ( $installed ) {
			wp_platform_say( 'finish: site was already installed' );
		} else {
			wp_platform_transaction(
				'finish',
				function () {
					// The serving pods rebuild the rules with the theme and plugins they load.
					update_option( 'rewrite_rules', '' );
					update_option( WP_PLATFORM_INSTALLED_OPTION, gmdate( 'c' ) . ' WordPress ' . $GLOBALS['wp_version'] );
				}
			);
			wp_platform_say( 'finish: site installed' );
		}
		wp_cache_flush();
		wp_platform_checkpoint( 'finish' );
	}

	public function do_verify(): void {
		global $wpdb;
		$url  = wp_platform_job_env( 'WP_SITE_URL' );
		$slug = wp_platform_job_env( 'WP_THEME' );
		wp_platform_say( "database: reachable over TLS ({$GLOBALS['wp_platform_cipher']})" );

		if ( ! wp_platform_table_exists( $wpdb->options ) ) {
			throw new WP_Platform_Job_Error( 'site is not installed (no WordPress tables)' );
		}
		if ( ! wp_platform_is_installed() ) {
			throw new WP_Platform_Job_Error( 'site is not installed: install has not finished (no ' . WP_PLATFORM_INSTALLED_OPTION . ' marker)' );
		}
		wp_platform_say( 'installed: yes' );

		$login = wp_platform_site()['settings']['WP_ADMIN_USER'] ?? '';
		if ( is_string( $login ) && '' !== $login ) {
			$user = get_user_by( 'login', $login );
			if ( ! $user ) {
				throw new WP_Platform_Job_Error( "admin user $login does not exist" );
			}
			if ( ! in_array( 'administrator', (array) $user->roles, true ) ) {
				throw new WP_Platform_Job_Error( "admin user $login does not have the administrator role" );
			}
			wp_platform_say( "admin: $login is an administrator" );
		} else {
			$admins = get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) );
			if ( ! $admins ) {
				throw new WP_Platform_Job_Error( 'no user has the administrator role' );
			}
			wp_platform_say( 'admin: an administrator exists' );
		}

		foreach ( array( 'siteurl', 'home' ) as $option ) {
			$stored = wp_platform_stored_option( $option );
			if ( null === $stored || ! wp_platform_same_url( $stored, $url ) ) {
				throw new WP_Platform_Job_Error( "$option is " . json_encode( $stored, JSON_UNESCAPED_SLASHES ) . ", expected $url" );
			}
		}
		wp_platform_say( "url: siteurl and home are $url" );

		wp_platform_image_theme( $slug );
		$active = wp_platform_stored_option( 'stylesheet' );
		if ( $active !== $slug ) {
			throw new WP_Platform_Job_Error( 'active theme is ' . json_encode( $active ) . ", expected $slug" );
		}
		wp_platform_say( "theme: $slug is in the image and active" );

		// The home page as a visitor gets it, through the Service of the color under test: theme
		// and plugins running for real (not WP_INSTALLING, as this process is), and this site's.
		$service = getenv( 'WP_PLATFORM_SERVICE_URL' );
		if ( false !== $service && '' !== $service ) {
			$request  = wp_platform_home_request( $service, $url );
			$response = wp_platform_http_get( $request );
		} else {
			[ $request, $response ] = wp_platform_get_home_from_own_server( $url );
		}
		$problem  = wp_platform_page_problem( $response['status'], $response['headers'], $response['body'], WP_PLATFORM_SITE_ID );
		$what     = "GET {$request['url']} with Host {$request['host']}";
		if ( null !== $problem ) {
			throw new WP_Platform_Job_Error( "home page: $what $problem" );
		}
		wp_platform_say( "page: $what: 200, site " . WP_PLATFORM_SITE_ID . ', ' . strlen( $response['body'] ) . ' bytes' );
		$this->ok();
	}

	public function do_upgrade_db(): void {
		global $wp_db_version, $wp_version;
		$folder = wp_platform_job_env( 'WP_PLATFORM_BACKUP_URL' );
		wp_platform_say( "database: connected over TLS ({$GLOBALS['wp_platform_cipher']})" );
		if ( ! wp_platform_is_installed() ) {
			throw new WP_Platform_Job_Error( 'site is not installed: nothing to upgrade' );
		}
		$stored = (int) wp_platform_stored_option( 'db_version' );
		$core   = (int) $wp_db_version;
		if ( 'current' === wp_platform_schema_plan( $stored, $core ) ) {
			wp_platform_say( "schema: db version $stored is this core's (WordPress $wp_version): no update needed, no backup" );
			$this->ok();
			return;
		}
		wp_platform_say( "schema: db version $stored, this core (WordPress $wp_version) has $core: backup, then update-db" );
		// No cron runner runs the site's events on a half-upgraded schema: hold its cron lock
		// (cron-lock.php) until this process exits.
		require_once __DIR__ . '/cron-lib.php';
		global $wpdb;
		$lock = wp_platform_cron_lock_name( WP_PLATFORM_SITE_ID );
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, %d)', $lock, 300 ) ) ) {
			throw new WP_Platform_Job_Error( "cannot take the lock $lock in 300s: a cron run of the site holds it" );
		}
		$file  = wp_platform_backup_name( $folder, time(), $stored, (string) $wp_version );
		$stats = wp_platform_dump_database( $file );
		wp_platform_say( "backup: $file ({$stats['tables']} tables, {$stats['rows']} rows, {$stats['bytes']} bytes gzipped)" );
		WP_CLI::run_command( array( 'core', 'update-db' ) );
		$now = (int) wp_platform_stored_option( 'db_version' );
		if ( $now !== $core ) {
			throw new WP_Platform_Job_Error( "update-db: db version is $now, expected $core; the backup is $file" );
		}
		wp_platform_say( "schema: db version $stored -> $core" );
		$this->ok();
	}
}

/**
 * One GET with curl (not WordPress's HTTP API, which the Jobs block): no redirect followed.
 *
 * @return array{status: int, headers: array<string, string>, body: string}
 */
/**
 * verify's GET of the home page from a web server of this Job's image: PHP's built-in server on a
 * free loopback port, with the image's docroot and a router that sends every path that is not a
 * file to index.php, as nginx does. It reads a site index of this site alone (its canonical host,
 * this Job's color) and the Job's mounted settings, so the request runs the bootstrap, the theme and
 * the plugins of the image under test, as a visitor's does in a pod. Stopped when the GET is done.
 *
 * @return array{0: array{url: string, host: string, proto: string}, 1: array{status: int, headers: array<string, string>, body: string}}
 */
function wp_platform_get_home_from_own_server( string $url ): array {
	$dir = sys_get_temp_dir() . '/wp-platform-verify-' . bin2hex( random_bytes( 6 ) );
	if ( ! mkdir( $dir, 0700 ) ) {
		throw new WP_Platform_Job_Error( "home page: cannot make $dir" );
	}
	$color = getenv( 'WP_PLATFORM_COLOR' ) ?: 'blue';
	file_put_contents( "$dir/sites.json", wp_platform_verify_index( WP_PLATFORM_SITE_ID, $url, $color ) );
	$probe = stream_socket_server( 'tcp://127.0.0.1:0', $errno, $errstr );
	if ( false === $probe ) {
		throw new WP_Platform_Job_Error( "home page: no free loopback port: $errstr" );
	}
	$port = (int) substr( (string) strrchr( stream_socket_get_name( $probe, false ), ':' ), 1 );
	fclose( $probe );
	$env = array_merge(
		getenv(),
		array(
			'WP_PLATFORM_SITE_INDEX' => "$dir/sites.json",
			'WP_PLATFORM_COLOR'      => $color,
		)
	);
	unset( $env['WP_SITE_ID'] );
	$command = array( PHP_BINARY, '-S', "127.0.0.1:$port", '-t', rtrim( ABSPATH, '/' ), __DIR__ . '/verify-router.php' );
	$server  = proc_open( $command, array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', "$dir/server.log", 'a' ), 2 => array( 'file', "$dir/server.log", 'a' ) ), $pipes, null, $env );
	if ( ! is_resource( $server ) ) {
		throw new WP_Platform_Job_Error( 'home page: cannot start PHP\'s built-in server' );
	}
	try {
		$deadline = microtime( true ) + 10;
		while ( true ) {
			$socket = @fsockopen( '127.0.0.1', $port, $errno, $errstr, 0.2 );
			if ( false !== $socket ) {
				fclose( $socket );
				break;
			}
			if ( microtime( true ) > $deadline || ! proc_get_status( $server )['running'] ) {
				throw new WP_Platform_Job_Error( 'home page: PHP\'s built-in server did not start: ' . wp_platform_one_line( (string) @file_get_contents( "$dir/server.log" ) ) );
			}
			usleep( 50000 );
		}
		$request = wp_platform_home_request( "http://127.0.0.1:$port", $url );
		return array( $request, wp_platform_http_get( $request ) );
	} finally {
		proc_terminate( $server );
		proc_close( $server );
		@unlink( "$dir/sites.json" );
		@unlink( "$dir/server.log" );
		@rmdir( $dir );
	}
}

function wp_platform_http_get( array $request, int $timeout = 30 ): array {
	$headers = array();
	$ch      = curl_init( $request['url'] );
	curl_setopt_array(
		$ch,
		array(
			CURLOPT_RETURNTRANSFER => true,
			CURLOPT_FOLLOWLOCATION => false,
			CURLOPT_CONNECTTIMEOUT => 10,
			CURLOPT_TIMEOUT        => $timeout,
			CURLOPT_HTTPHEADER     => array( "Host: {$request['host']}", "X-Forwarded-Proto: {$request['proto']}", 'User-Agent: wp-platform-verify' ),
			CURLOPT_HEADERFUNCTION => function ( $ch, $line ) use ( &$headers ) {
				$parts = explode( ':', $line, 2 );
				if ( 2 === count( $parts ) ) {
					$headers[ strtolower( trim( $parts[0] ) ) ] = trim( $parts[1] );
				}
				return strlen( $line );
			},
		)
	);
	$body = curl_exec( $ch );
	if ( false === $body ) {
		$error = curl_error( $ch );
		curl_close( $ch );
		throw new WP_Platform_Job_Error( "home page: GET {$request['url']} with Host {$request['host']}: $error" );
	}
	$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
	curl_close( $ch );
	return array(
		'status'  => $status,
		'headers' => $headers,
		'body'    => (string) $body,
	);
}

/**
 * Writes the site's database to $file as gzipped SQL (what mysqldump writes: DROP TABLE IF EXISTS,
 * CREATE TABLE, INSERTs, one statement a line for the rows), from one consistent snapshot, over
 * the site user's own verified TLS connection. Through PHP streams: $file is a path or any stream
 * URL (s3:// once the S3 wrapper is registered). Written to `<file>.partial`, renamed when whole:
 * a killed backup never looks like a good one. Only base tables (WordPress has no views, triggers
 * or routines). Restore: image/README.md.
 *
 * @return array{tables: int, rows: int, bytes: int}
 */
function wp_platform_dump_database( string $file ): array {
	$dbh   = mysqli_init();
	$error = wp_platform_db_connect( $dbh, DB_HOST, DB_USER, DB_PASSWORD, DB_NAME );
	if ( null !== $error ) {
		throw new WP_Platform_Job_Error( "backup: $error" );
	}
	$query = function ( string $sql, int $mode = MYSQLI_STORE_RESULT ) use ( $dbh ) {
		$result = mysqli_query( $dbh, $sql, $mode );
		if ( false === $result ) {
			throw new WP_Platform_Job_Error( 'backup: ' . mysqli_error( $dbh ) . " (in: $sql)" );
		}
		return $result;
	};
	mysqli_set_charset( $dbh, 'utf8mb4' );
	$query( 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ' );
	$query( 'START TRANSACTION WITH CONSISTENT SNAPSHOT' );
	$tables = array_map( fn( $r ) => $r[0], mysqli_fetch_all( $query( "SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'" ) ) );

	if ( ! preg_match( '#^[a-z][a-z0-9+.-]*://#i', $file ) && ! is_dir( dirname( $file ) ) && ! @mkdir( dirname( $file ), 0700, true ) ) {
		throw new WP_Platform_Job_Error( 'backup: cannot create the folder ' . dirname( $file ) );
	}
	$partial = "$file.partial";
	$out     = @fopen( $partial, 'wb' );
	if ( false === $out ) {
		throw new WP_Platform_Job_Error( "backup: cannot open $partial for writing" );
	}
	$zip   = deflate_init( ZLIB_ENCODING_GZIP, array( 'level' => 6 ) );
	$bytes = 0;
	$put   = function ( string $data, int $flush = ZLIB_NO_FLUSH ) use ( $out, $zip, &$bytes, $partial ) {
		$chunk = deflate_add( $zip, $data, $flush );
		while ( '' !== $chunk ) {
			$written = fwrite( $out, $chunk );
			if ( false === $written || 0 === $written ) {
				throw new WP_Platform_Job_Error( "backup: cannot write to $partial" );
			}
			$bytes += $written;
			$chunk  = (string) substr( $chunk, $written );
		}
	};
	$rows = 0;
	try {
		$put( '-- wp-platform backup of database ' . DB_NAME . ' (site ' . WP_PLATFORM_SITE_ID . '), ' . gmdate( 'c' ) . "\n" );
		$put( "SET NAMES utf8mb4;\nSET FOREIGN_KEY_CHECKS=0;\nSET UNIQUE_CHECKS=0;\nSET SQL_MODE='NO_AUTO_VALUE_ON_ZERO';\n" );
		$escape = fn( $v ) => mysqli_real_escape_string( $dbh, $v );
		foreach ( $tables as $table ) {
			$name   = '`' . str_replace( '`', '``', $table ) . '`';
			$create = mysqli_fetch_row( $query( "SHOW CREATE TABLE $name" ) )[1];
			$put( "\nDROP TABLE IF EXISTS $name;\n$create;\n" );
			$result = $query( "SELECT * FROM $name", MYSQLI_USE_RESULT );
			$fields = mysqli_fetch_fields( $result );
			$batch  = '';
			while ( $row = mysqli_fetch_row( $result ) ) {
				$values = array();
				foreach ( $row as $i => $value ) {
					$values[] = wp_platform_sql_value( $value, $fields[ $i ]->type, $fields[ $i ]->charsetnr, $escape );
				}
				$batch .= ( '' === $batch ? "INSERT INTO $name VALUES " : ',' ) . '(' . implode( ',', $values ) . ')';
				++$rows;
				if ( strlen( $batch ) > 512 * 1024 ) {
					$put( "$batch;\n" );
					$batch = '';
				}
			}
			mysqli_free_result( $result );
			if ( '' !== $batch ) {
				$put( "$batch;\n" );
			}
		}
		$put( "\n-- wp-platform backup complete: " . count( $tables ) . " tables, $rows rows\n", ZLIB_FINISH );
		if ( ! fclose( $out ) ) {
			throw new WP_Platform_Job_Error( "backup: cannot finish writing $partial" );
		}
	} catch ( Throwable $e ) {
		if ( is_resource( $out ) ) {
			fclose( $out );
		}
		@unlink( $partial );
		throw $e;
	} finally {
		mysqli_query( $dbh, 'COMMIT' );
		mysqli_close( $dbh );
	}
	if ( ! @rename( $partial, $file ) ) {
		throw new WP_Platform_Job_Error( "backup: cannot rename $partial to $file" );
	}
	return array(
		'tables' => count( $tables ),
		'rows'   => $rows,
		'bytes'  => $bytes,
	);
}

$wp_platform_job = wp_platform_current_job();
if ( null !== $wp_platform_job ) {
	wp_platform_prepare( $wp_platform_job );
}
unset( $wp_platform_job );
WP_CLI::add_command( 'platform', 'WP_Platform_Command' );
// `wp platform cron-runner`, the cron runner's command: it runs with no site (WordPress unloaded).
require_once __DIR__ . '/cron-runner.php';
