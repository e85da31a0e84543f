<?php
/**
 * Loaded with --require by each child of `wp platform cron-runner` (cron-runner.php): before the
 * site's due events run, take the MySQL user lock `wp-platform-cron:<site id>` on the site's own
 * database connection, without waiting. GET_LOCK is held by the server for the connection, so it
 * guards across processes, pods and colors alike (the two colors' runners share the database
 * server while a site moves from one to the other), and it is released when this process exits,
 * however it exits (the server drops a dead connection's locks), so a killed run leaves no stale
 * lock. When another run holds it, this run prints WP_PLATFORM_CRON_LOCKED and exits 0: that site
 * is being run right now, which is what was wanted.
 */

if ( ! class_exists( 'WP_CLI' ) ) {
	return;
}

require_once __DIR__ . '/lib.php';
require_once __DIR__ . '/cron-lib.php';

WP_CLI::add_hook(
	'after_wp_load',
	function () {
		global $wpdb;
		$name = wp_platform_cron_lock_name( (string) WP_PLATFORM_SITE_ID );
		$got  = $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', $name ) );
		if ( '1' === (string) $got ) {
			return;
		}
		if ( '0' === (string) $got ) {
			WP_CLI::log( WP_PLATFORM_CRON_LOCKED . " ($name is held by another run)" );
			exit( 0 );
		}
		WP_CLI::error( "cannot take the lock $name: " . ( $wpdb->last_error ?: 'no answer' ) );
	}
);
