<?php
/**
 * Our own versions of the standard WP-CLI commands the Jobs and the cron runner use, which the
 * package registry this project builds from does not hold (wp-cli/core-command,
 * wp-cli/extension-command, wp-cli/cache-command, wp-cli/cron-command): the same names, argument
 * shapes and messages as those packages, and only the part of each that the platform uses
 * (image/README.md). When the registry has the packages, require them in composer.json and
 * delete this file: nothing else changes.
 *
 *   wp core version [--extra]
 *   wp core update-db [--dry-run]
 *   wp theme activate <theme>
 *   wp cache flush
 *   wp cron event run [<hook>...] [--due-now] [--all]
 */

if ( ! class_exists( 'WP_CLI' ) ) {
	return;
}

require_once __DIR__ . '/lib.php';

/**
 * Downloads, installs, updates, and manages a WordPress installation (here: version and
 * update-db; core itself comes with the image).
 */
class WP_Platform_Core_Command extends WP_CLI_Command {

	/**
	 * Displays the WordPress version.
	 *
	 * ## OPTIONS
	 *
	 * [--extra]
	 * : Show extended version information.
	 *
	 * @when before_wp_load
	 */
	public function version( $args = array(), $assoc_args = array() ) {
		$file = ABSPATH . 'wp-includes/version.php';
		if ( ! is_readable( $file ) ) {
			WP_CLI::error( "This does not seem to be a WordPress installation.\nPass --path=`path/to/wordpress` or run `wp core download`." );
		}
		// version.php only assigns variables: read it in a scope of its own, as core-command does.
		$versions = ( static function ( $file ) {
			include $file;
			return array(
				'wp_version'      => $wp_version,
				'wp_db_version'   => $wp_db_version,
				'tinymce_version' => $tinymce_version,
				'wp_local_package' => $wp_local_package ?? null,
			);
		} )( $file );
		if ( ! \WP_CLI\Utils\get_flag_value( $assoc_args, 'extra' ) ) {
			WP_CLI::line( $versions['wp_version'] );
			return;
		}
		WP_CLI::line( "WordPress version: {$versions['wp_version']}" );
		WP_CLI::line( "Database revision: {$versions['wp_db_version']}" );
		WP_CLI::line( "TinyMCE version:   {$versions['tinymce_version']}" );
		WP_CLI::line( 'Package language:  ' . ( $versions['wp_local_package'] ?? 'en_US' ) );
	}

	/**
	 * Runs the WordPress database update procedure.
	 *
	 * ## OPTIONS
	 *
	 * [--dry-run]
	 * : Compare database versions without performing the update.
	 *
	 * @subcommand update-db
	 */
	public function update_db( $args = array(), $assoc_args = array() ) {
		global $wpdb, $wp_db_version;
		// WP-CLI's runner defines WP_INSTALLING for `core update-db`, as for the real command.
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$dry_run = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'dry-run' );
		$current = (int) __get_option( 'db_version' );
		if ( (int) $wp_db_version === $current ) {
			WP_CLI::success( "WordPress database already at latest db version {$wp_db_version}." );
			return;
		}
		if ( $dry_run ) {
			WP_CLI::success( "WordPress database will be upgraded from db version {$current} to {$wp_db_version}." );
			return;
		}
		// WordPress's upgrade is not fussy about MySQL warnings such as "Duplicate key name".
		$wpdb->suppress_errors();
		wp_upgrade();
		$now = (int) __get_option( 'db_version' );
		if ( (int) $wp_db_version !== $now ) {
			WP_CLI::error( "WordPress database upgrade failed: db version is {$now}, expected {$wp_db_version}." );
		}
		WP_CLI::success( "WordPress database upgraded successfully from db version {$current} to {$wp_db_version}." );
	}
}

/**
 * Manages themes (here: activate one the image ships; nothing is ever installed or downloaded).
 */
class WP_Platform_Theme_Command extends WP_CLI_Command {

	/**
	 * Activates a theme.
	 *
	 * ## OPTIONS
	 *
	 * <theme>
	 * : The theme to activate.
	 */
	public function activate( $args, $assoc_args = array() ) {
		try {
			$result = wp_platform_switch_theme( (string) $args[0] );
		} catch ( RuntimeException $e ) {
			WP_CLI::error( wp_platform_one_line( $e->getMessage() ) );
		}
		if ( 'already' === $result ) {
			WP_CLI::warning( "The '{$args[0]}' theme is already active." );
			return;
		}
		WP_CLI::success( "Switched to '{$args[0]}' theme." );
	}
}

/**
 * The theme $slug of this image's themes folder, checked usable (its parent there too). Throws
 * WP_Platform_Job_Error naming what the image ships when it is not there. Never downloads.
 */
function wp_platform_image_theme( string $slug ): WP_Theme {
	wp_platform_theme_slug( $slug );
	$root    = WP_CONTENT_DIR . '/themes';
	$missing = wp_platform_missing_theme( $root, $slug );
	if ( null !== $missing ) {
		throw new WP_Platform_Job_Error( $missing );
	}
	$theme = wp_get_theme( $slug, $root );
	if ( ! $theme->exists() || $theme->errors() ) {
		$why = $theme->errors() ? $theme->errors()->get_error_message() : 'not found';
		throw new WP_Platform_Job_Error( "theme $slug in this image is not usable: $why" );
	}
	return $theme;
}

/** Switches to the image's theme $slug; returns 'already' or 'switched'. */
function wp_platform_switch_theme( string $slug ): string {
	$theme = wp_platform_image_theme( $slug );
	if ( get_option( 'stylesheet' ) === $theme->get_stylesheet() && get_option( 'template' ) === $theme->get_template() ) {
		return 'already';
	}
	switch_theme( $theme->get_stylesheet() );
	wp_cache_flush();
	if ( get_option( 'stylesheet' ) !== $theme->get_stylesheet() ) {
		throw new WP_Platform_Job_Error( "Could not switch to '$slug' theme." );
	}
	return 'switched';
}

/**
 * Adds, removes, fetches, and flushes the WP Object Cache object (here: flush).
 */
class WP_Platform_Cache_Command extends WP_CLI_Command {

	/**
	 * Flushes the object cache.
	 */
	public function flush( $args = array(), $assoc_args = array() ) {
		try {
			$what = wp_platform_flush_object_cache();
		} catch ( RuntimeException $e ) {
			WP_CLI::error( wp_platform_one_line( $e->getMessage() ) );
		}
		WP_CLI::success( "The cache was flushed: $what." );
	}
}

/**
 * Flushes the site's object cache; says what it flushed: "<n> keys under <prefix>" with the image's
 * drop-in on Redis (this site's keys only), else that only this process's cache was there to flush.
 * Throws RuntimeException when the flush failed (the cache is configured but did not answer).
 */
function wp_platform_flush_object_cache(): string {
	global $wp_object_cache;
	if ( $wp_object_cache instanceof WP_Object_Cache && method_exists( $wp_object_cache, 'flush_site' ) ) {
		$deleted = $wp_object_cache->flush_site();
		if ( false === $deleted ) {
			$why = $wp_object_cache->redis_error ?? 'no answer';
			throw new RuntimeException( "The object cache could not be flushed: Redis at {$wp_object_cache->config['host']}:{$wp_object_cache->config['port']} is unavailable ($why)." );
		}
		if ( null === $wp_object_cache->config ) {
			return 'no persistent object cache (no WP_REDIS_HOST), only this process\'s runtime cache';
		}
		return sprintf( '%d %s under %s', $deleted, 1 === $deleted ? 'key' : 'keys', $wp_object_cache->config['prefix'] );
	}
	if ( false === wp_cache_flush() ) {
		throw new RuntimeException( 'The object cache could not be flushed.' );
	}
	return wp_using_ext_object_cache() ? 'an external object cache (not the image\'s drop-in), as it flushes' : 'no persistent object cache, only this process\'s runtime cache';
}

/**
 * Tests, runs, and deletes WP-Cron events; manages WP-Cron schedules.
 */
class WP_Platform_Cron_Namespace extends \WP_CLI\Dispatcher\CommandNamespace {
}

/**
 * Schedules, runs, and deletes WP-Cron events (here: run).
 */
class WP_Platform_Cron_Event_Command extends WP_CLI_Command {

	/**
	 * Runs the next scheduled cron event for the given hook.
	 *
	 * ## OPTIONS
	 *
	 * [<hook>...]
	 * : One or more hooks to run.
	 *
	 * [--due-now]
	 * : Run all hooks due right now.
	 *
	 * [--all]
	 * : Run all hooks.
	 */
	public function run( $args, $assoc_args ) {
		$due_now = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'due-now' );
		$all     = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'all' );
		if ( empty( $args ) && ! $due_now && ! $all ) {
			WP_CLI::error( 'Please specify one or more cron events, or use --due-now/--all.' );
		}
		$crons  = _get_cron_array();
		$events = array();
		$now    = time();
		foreach ( is_array( $crons ) ? $crons : array() as $time => $hooks ) {
			foreach ( $hooks as $hook => $by_key ) {
				foreach ( $by_key as $data ) {
					if ( $due_now && $time > $now ) {
						continue;
					}
					if ( $args && ! in_array( $hook, $args, true ) ) {
						continue;
					}
					$events[] = (object) array(
						'hook'     => $hook,
						'time'     => $time,
						'schedule' => $data['schedule'],
						'interval' => $data['interval'] ?? null,
						'args'     => $data['args'],
					);
				}
			}
		}
		if ( $args && ! $due_now && ! $all ) {
			// The next event of each hook named, as cron-command does.
			$seen   = array();
			$events = array_values(
				array_filter(
					$events,
					function ( $e ) use ( &$seen ) {
						if ( isset( $seen[ $e->hook ] ) ) {
							return false;
						}
						return $seen[ $e->hook ] = true;
					}
				)
			);
		}
		if ( $args && ! $events ) {
			WP_CLI::error( 'Invalid cron event(s).' );
		}
		if ( ! defined( 'DOING_CRON' ) ) {
			define( 'DOING_CRON', true );
		}
		$executed = 0;
		foreach ( $events as $event ) {
			$start = microtime( true );
			if ( false !== $event->schedule ) {
				wp_reschedule_event( $event->time, $event->schedule, $event->hook, $event->args );
			}
			wp_unschedule_event( $event->time, $event->hook, $event->args );
			do_action_ref_array( $event->hook, $event->args );
			++$executed;
			WP_CLI::log( sprintf( "Executed the cron event '%s' in %ss.", $event->hook, round( microtime( true ) - $start, 3 ) ) );
		}
		WP_CLI::success( sprintf( 'Executed a total of %d cron %s.', $executed, 1 === $executed ? 'event' : 'events' ) );
	}
}

WP_CLI::add_command( 'core', 'WP_Platform_Core_Command' );
WP_CLI::add_command( 'theme', 'WP_Platform_Theme_Command' );
WP_CLI::add_command( 'cache', 'WP_Platform_Cache_Command' );
WP_CLI::add_command( 'cron', 'WP_Platform_Cron_Namespace' );
WP_CLI::add_command( 'cron event', 'WP_Platform_Cron_Event_Command' );
