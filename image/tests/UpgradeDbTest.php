<?php
/**
 * upgrade-db's pure parts (wp-cli/lib.php): whether to upgrade, the backup's name, and how a row's
 * values are written as SQL.
 */

use PHPUnit\Framework\TestCase;

final class UpgradeDbTest extends TestCase {

	public function test_only_an_older_schema_is_upgraded(): void {
		$this->assertSame( 'current', wp_platform_schema_plan( 53496, 53496 ) );
		$this->assertSame( 'upgrade', wp_platform_schema_plan( 51917, 53496 ) );
	}

	public function test_a_schema_newer_than_the_core_is_refused_since_wordpress_never_downgrades_one(): void {
		$this->expectException( WP_Platform_Job_Error::class );
		$this->expectExceptionMessage( "the database is at db version 55853, newer than this core's 53496" );
		wp_platform_schema_plan( 55853, 53496 );
	}

	public function test_the_backup_is_named_by_utc_time_old_db_version_and_core_version(): void {
		$time = gmmktime( 3, 4, 5, 12, 4, 2026 );
		$this->assertSame( '/backups/20261204T030405Z-db51917-wp6.1.9.sql.gz', wp_platform_backup_name( '/backups/', $time, 51917, '6.1.9' ) );
		$this->assertSame(
			's3://bucket/sites/shop/backups/20261204T030405Z-db51917-wp6.2-RC1.sql.gz',
			wp_platform_backup_name( 's3://bucket/sites/shop/backups', $time, 51917, '6.2-RC1' )
		);
		$this->expectException( WP_Platform_Job_Error::class );
		wp_platform_backup_name( '/b', $time, 1, '6.1/../x' );
	}

	public function test_values_are_written_by_type(): void {
		// As mysqli_real_escape_string does for these characters.
		$escape = fn( $v ) => str_replace( array( '\\', "'", "\n" ), array( '\\\\', "\\'", '\\n' ), $v );
		$this->assertSame( 'NULL', wp_platform_sql_value( null, 253, 45, $escape ) );
		$this->assertSame( '42', wp_platform_sql_value( '42', 8, 63, $escape ) );
		$this->assertSame( '-1.5', wp_platform_sql_value( '-1.5', 246, 63, $escape ) );
		$this->assertSame( "'it\\'s\\na line'", wp_platform_sql_value( "it's\na line", 252, 45, $escape ) );
		$this->assertSame( '0x00ff', wp_platform_sql_value( "\x00\xff", 252, 63, $escape ) );
		$this->assertSame( "''", wp_platform_sql_value( '', 254, 63, $escape ) );
		// A date has the binary charset too, and stays a quoted text.
		$this->assertSame( "'2026-12-04 03:04:05'", wp_platform_sql_value( '2026-12-04 03:04:05', 12, 63, $escape ) );
	}
}
