<?php
/**
 * wp-platform db-error.php drop-in: WordPress's dead_db() and wpdb's failed connect load this
 * instead of their HTML page. A visitor gets a plain 503 that a load balancer or browser may
 * retry; the reason is already in the log (db.php logs the connect error).
 */

defined( 'ABSPATH' ) || exit;

if ( 'cli' === PHP_SAPI ) {
	// WP-CLI: one line on stderr and a failing exit, never a page on stdout.
	$wp_platform_why = isset( $GLOBALS['wpdb']->wp_platform_connect_error ) ? ': ' . $GLOBALS['wpdb']->wp_platform_connect_error : '';
	fwrite( STDERR, 'Error: database unavailable' . $wp_platform_why . "\n" );
	exit( 1 );
}

$wp_platform_connected = isset( $GLOBALS['wpdb'] ) && $GLOBALS['wpdb']->ready;
if ( ! headers_sent() ) {
	http_response_code( 503 );
	header( 'Content-Type: text/plain; charset=utf-8' );
	header( 'Cache-Control: no-store' );
	header( 'Retry-After: 30' );
}
// Connected but WordPress's tables are incomplete: an install Job has not finished.
echo $wp_platform_connected ? "site not installed\n" : "database unavailable\n";
