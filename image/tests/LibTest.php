<?php
/**
 * The pure functions of the Jobs' command (wp-cli/lib.php): reading the Job's environment and the
 * mounted settings file, the wait for the database, the site URL and the theme checks.
 */

use PHPUnit\Framework\TestCase;

final class LibTest extends TestCase {

	private static function site( array $settings ): array {
		return array(
			'id'       => 'shop-1',
			'settings' => $settings,
		);
	}

	public function test_a_setting_is_read_from_the_settings_file(): void {
		$site = self::site( array( 'WP_ADMIN_PASSWORD' => 's3cret', 'WP_ADMIN_USER' => 'platform-admin' ) );
		$this->assertSame( 's3cret', wp_platform_setting( $site, 'WP_ADMIN_PASSWORD' ) );
		$this->assertSame( 'platform-admin', wp_platform_setting( $site, 'WP_ADMIN_USER' ) );
	}

	/** @dataProvider missing_settings */
	public function test_a_missing_or_empty_setting_names_the_site_and_the_field( array $settings ): void {
		$this->expectException( WP_Platform_Job_Error::class );
		$this->expectExceptionMessage( 'settings of site shop-1: WP_ADMIN_PASSWORD is missing' );
		wp_platform_setting( self::site( $settings ), 'WP_ADMIN_PASSWORD' );
	}

	public function missing_settings(): array {
		return array(
			'absent'     => array( array() ),
			'empty'      => array( array( 'WP_ADMIN_PASSWORD' => '' ) ),
			'not a text' => array( array( 'WP_ADMIN_PASSWORD' => 12345 ) ),
			'null'       => array( array( 'WP_ADMIN_PASSWORD' => null ) ),
		);
	}

	public function test_the_admin_password_never_comes_from_the_environment(): void {
		putenv( 'WP_ADMIN_PASSWORD=from-env' );
		try {
			$this->expectException( WP_Platform_Job_Error::class );
			wp_platform_setting( self::site( array() ), 'WP_ADMIN_PASSWORD' );
		} finally {
			putenv( 'WP_ADMIN_PASSWORD' );
		}
	}

	public function test_a_job_variable_must_be_set_and_not_empty(): void {
		$env = array( 'WP_THEME' => 'twentytwentytwo', 'WP_SITE_TITLE' => '' );
		$getenv = fn( $name ) => $env[ $name ] ?? false;
		$this->assertSame( 'twentytwentytwo', wp_platform_job_env( 'WP_THEME', $getenv ) );
		foreach ( array( 'WP_SITE_TITLE', 'WP_SITE_URL' ) as $name ) {
			try {
				wp_platform_job_env( $name, $getenv );
				$this->fail( "$name was accepted" );
			} catch ( WP_Platform_Job_Error $e ) {
				$this->assertSame( "$name is not set", $e->getMessage() );
			}
		}
	}

	public function test_each_job_names_the_environment_the_program_gives_it(): void {
		$this->assertSame( array( 'install', 'activate-theme', 'verify', 'flush-caches', 'upgrade-db' ), array_keys( WP_PLATFORM_JOB_ENV ) );
		$this->assertSame( array( 'WP_SITE_URL', 'WP_SITE_TITLE' ), WP_PLATFORM_JOB_ENV['install'] );
		$this->assertSame( array( 'WP_SITE_URL', 'WP_THEME' ), WP_PLATFORM_JOB_ENV['verify'] );
		$this->assertSame( array( 'WP_PLATFORM_BACKUP_URL' ), WP_PLATFORM_JOB_ENV['upgrade-db'] );
	}

	public function test_the_database_wait_defaults_to_300_seconds_and_takes_whole_seconds_only(): void {
		$this->assertSame( 300, wp_platform_wait_seconds( false ) );
		$this->assertSame( 300, wp_platform_wait_seconds( '' ) );
		$this->assertSame( 0, wp_platform_wait_seconds( '0' ) );
		$this->assertSame( 45, wp_platform_wait_seconds( '45' ) );
		foreach ( array( '-1', '1.5', '10s', ' 5' ) as $bad ) {
			try {
				wp_platform_wait_seconds( $bad );
				$this->fail( "$bad was accepted" );
			} catch ( WP_Platform_Job_Error $e ) {
				$this->assertStringContainsString( 'WP_PLATFORM_DB_WAIT_SECONDS', $e->getMessage() );
			}
		}
	}

	public function test_the_site_url_is_an_http_url_without_its_trailing_slash(): void {
		$this->assertSame( 'https://www.shop.example.com', wp_platform_site_url( 'https://www.shop.example.com/' ) );
		$this->assertSame( 'http://shop.example.com/blog', wp_platform_site_url( 'http://shop.example.com/blog' ) );
		foreach ( array( 'ftp://shop.example.com', 'shop.example.com', 'https://', 'https://a b.example.com' ) as $bad ) {
			try {
				wp_platform_site_url( $bad );
				$this->fail( "$bad was accepted" );
			} catch ( WP_Platform_Job_Error $e ) {
				$this->assertStringContainsString( 'is not an http(s) URL', $e->getMessage() );
			}
		}
		$this->assertTrue( wp_platform_same_url( 'https://a.example.com/', 'https://a.example.com' ) );
		$this->assertFalse( wp_platform_same_url( 'https://a.example.com', 'https://b.example.com' ) );
	}

	public function test_a_theme_slug_cannot_be_a_path(): void {
		$this->assertSame( 'twenty_twenty-one2', wp_platform_theme_slug( 'twenty_twenty-one2' ) );
		foreach ( array( '../etc', 'Astra', '', '-x', 'a/b' ) as $bad ) {
			try {
				wp_platform_theme_slug( $bad );
				$this->fail( "$bad was accepted" );
			} catch ( WP_Platform_Job_Error $e ) {
				$this->assertStringContainsString( 'is not a theme slug', $e->getMessage() );
			}
		}
	}

	public function test_a_missing_theme_names_what_the_image_ships(): void {
		$root = sys_get_temp_dir() . '/wp-platform-themes-' . getmypid();
		foreach ( array( 'twentytwentytwo', 'twentytwentyone' ) as $slug ) {
			mkdir( "$root/$slug", 0700, true );
			file_put_contents( "$root/$slug/style.css", "/* Theme Name: $slug */" );
		}
		mkdir( "$root/not-a-theme", 0700, true );
		try {
			$this->assertNull( wp_platform_missing_theme( $root, 'twentytwentytwo' ) );
			$this->assertSame(
				"theme astra is not in this image (no $root/astra/style.css); the image ships: twentytwentyone, twentytwentytwo",
				wp_platform_missing_theme( $root, 'astra' )
			);
			$this->assertSame( array( 'twentytwentyone', 'twentytwentytwo' ), wp_platform_shipped_themes( $root ) );
			$this->assertStringEndsWith( 'the image ships: no theme', wp_platform_missing_theme( "$root/none", 'astra' ) );
		} finally {
			exec( 'rm -rf ' . escapeshellarg( $root ) );
		}
	}

	public function test_a_reason_is_one_line(): void {
		$this->assertSame( 'cannot connect: timed out', wp_platform_one_line( " cannot connect:\n\ttimed out\n" ) );
	}
}
