<?php
/**
 * wp-platform database drop-in: WordPress's wpdb, connecting only over TLS with the server
 * certificate verified against WP_PLATFORM_DB_CA (docs/image.md).
 *
 * db_connect() follows WordPress 6.1's wpdb::db_connect (wp-includes/class-wpdb.php) step for
 * step, except that the connection is opened by wp_platform_db_connect() (wp-config.php) and
 * there is no fallback to ext/mysql, which cannot do TLS.
 */

defined( 'ABSPATH' ) || exit;

if ( ! function_exists( 'wp_platform_db_connect' ) ) {
	// Without the bootstrap there is no verified TLS connection to make: refuse rather than let
	// WordPress connect in plain text.
	header( 'HTTP/1.1 500 Internal Server Error' );
	die( "wp-platform: wp-content/db.php needs the wp-platform wp-config.php\n" );
}

class WP_Platform_DB extends wpdb {
	/** @var string|null why the last connection attempt failed */
	public $wp_platform_connect_error = null;

	public function db_connect( $allow_bail = true ) {
		$this->is_mysql = true;
		$client_flags   = defined( 'MYSQL_CLIENT_FLAGS' ) ? MYSQL_CLIENT_FLAGS : 0;

		$this->dbh = mysqli_init();
		$error     = wp_platform_db_connect( $this->dbh, $this->dbhost, $this->dbuser, $this->dbpassword, null, $client_flags );
		$this->wp_platform_connect_error = $error;
		if ( null !== $error ) {
			$this->dbh = null;
			error_log( 'wp-platform: ' . $error );
		}

		if ( ! $this->dbh && $allow_bail ) {
			wp_load_translations_early();

			if ( file_exists( WP_CONTENT_DIR . '/db-error.php' ) ) {
				require_once WP_CONTENT_DIR . '/db-error.php';
				die();
			}

			// The reason (which may name the host) goes to the log above, not to the visitor.
			$message = '<h1>' . __( 'Error establishing a database connection' ) . "</h1>\n";
			$this->bail( $message, 'db_connect_fail' );

			return false;
		} elseif ( $this->dbh ) {
			if ( ! $this->has_connected ) {
				$this->init_charset();
			}

			$this->has_connected = true;

			$this->set_charset( $this->dbh );

			$this->ready = true;
			$this->set_sql_mode();
			$this->select( $this->dbname, $this->dbh );

			return true;
		}

		return false;
	}
}

$wpdb = new WP_Platform_DB( DB_USER, DB_PASSWORD, DB_NAME, DB_HOST );
if ( defined( 'WP_PLATFORM_JOB' ) ) {
	// A Job reports database errors itself, as one line (wpdb still records them in
	// $EZSQL_ERROR); WordPress's own writes on a database with no tables yet are expected.
	$wpdb->suppress_errors( true );
}
