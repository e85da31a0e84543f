<?php
/**
 * The bootstrap's own functions (wordpress/wp-config.php): the Host as the contract defines it,
 * the site id, the settings file, and WORDPRESS_DB_HOST.
 */

use PHPUnit\Framework\TestCase;

final class WpConfigTest extends TestCase {

	private string $dir;

	protected function setUp(): void {
		$this->dir = sys_get_temp_dir() . '/wp-platform-settings-' . getmypid();
		mkdir( $this->dir, 0700, true );
		putenv( "WP_PLATFORM_SETTINGS_DIR={$this->dir}" );
	}

	protected function tearDown(): void {
		putenv( 'WP_PLATFORM_SETTINGS_DIR' );
		exec( 'rm -rf ' . escapeshellarg( $this->dir ) );
	}

	private function settings(): array {
		$s = array(
			'WORDPRESS_DB_HOST'     => '127.0.0.1:3307',
			'WORDPRESS_DB_NAME'     => 'wp_shop_1',
			'WORDPRESS_DB_USER'     => 'wp_shop_1',
			'WORDPRESS_DB_PASSWORD' => 'pw',
			'WP_SITE_URL'           => 'https://shop.example.com',
			'WP_ADMIN_PASSWORD'     => 'admin-pw',
		);
		foreach ( WP_PLATFORM_SALTS as $salt ) {
			$s[ "WORDPRESS_$salt" ] = str_repeat( 'x', 64 );
		}
		return $s;
	}

	public function test_the_host_is_lowercased_without_port_or_trailing_dot(): void {
		$this->assertSame( 'www.shop.example.com', wp_platform_normalize_host( 'WWW.Shop.Example.com.:8080' ) );
		$this->assertSame( '[::1]', wp_platform_normalize_host( '[::1]:80' ) );
		foreach ( array( '', 'a b', 'shop.example.com/x', "shop\n.example.com" ) as $bad ) {
			$this->assertSame( '', wp_platform_normalize_host( $bad ), json_encode( $bad ) );
		}
	}

	public function test_a_site_id_is_the_programs_24_characters_at_most(): void {
		$this->assertSame( 'shop-1', wp_platform_check_site_id( 'shop-1', 'test' ) );
		$this->assertSame( str_repeat( 'a', 24 ), wp_platform_check_site_id( str_repeat( 'a', 24 ), 'test' ) );
		foreach ( array( str_repeat( 'a', 25 ), '../x', 'Shop', 'shop-', '1shop', '' ) as $bad ) {
			try {
				wp_platform_check_site_id( $bad, 'WP_SITE_ID' );
				$this->fail( "$bad was accepted" );
			} catch ( WP_Platform_Error $e ) {
				$this->assertStringStartsWith( 'WP_SITE_ID: site id', $e->getMessage() );
			}
		}
	}

	public function test_the_settings_file_is_read_and_checked(): void {
		file_put_contents( "{$this->dir}/shop-1.json", json_encode( $this->settings() ) );
		$this->assertSame( 'admin-pw', wp_platform_load_settings( 'shop-1' )['WP_ADMIN_PASSWORD'] );
	}

	public function test_a_settings_file_not_synced_yet_is_a_503_to_retry(): void {
		try {
			wp_platform_load_settings( 'shop-1' );
			$this->fail( 'a missing file was accepted' );
		} catch ( WP_Platform_Error $e ) {
			$this->assertSame( 503, $e->status );
			$this->assertSame( 30, $e->retry_after );
		}
	}

	public function test_a_settings_file_lacking_a_salt_or_not_json_is_a_500(): void {
		$settings = $this->settings();
		unset( $settings['WORDPRESS_NONCE_SALT'] );
		file_put_contents( "{$this->dir}/shop-1.json", json_encode( $settings ) );
		try {
			wp_platform_load_settings( 'shop-1' );
			$this->fail( 'a file without NONCE_SALT was accepted' );
		} catch ( WP_Platform_Error $e ) {
			$this->assertSame( 500, $e->status );
			$this->assertStringContainsString( 'WORDPRESS_NONCE_SALT is missing', $e->getMessage() );
		}
		file_put_contents( "{$this->dir}/shop-1.json", '{"unterminated' );
		try {
			wp_platform_load_settings( 'shop-1' );
			$this->fail( 'a file that is not JSON was accepted' );
		} catch ( WP_Platform_Error $e ) {
			$this->assertStringContainsString( 'is not a JSON object', $e->getMessage() );
		}
	}

	public function test_the_database_host_is_tcp_never_a_socket(): void {
		$this->assertSame( array( 'db.example.com', null ), wp_platform_parse_db_host( 'db.example.com' ) );
		$this->assertSame( array( '127.0.0.1', 3307 ), wp_platform_parse_db_host( '127.0.0.1:3307' ) );
		$this->assertSame( array( '[::1]', 3306 ), wp_platform_parse_db_host( '[::1]:3306' ) );
		foreach ( array( 'localhost', 'LOCALHOST:3306', '/run/mysqld/mysqld.sock', 'db.example.com:3306:1' ) as $bad ) {
			try {
				wp_platform_parse_db_host( $bad );
				$this->fail( "$bad was accepted" );
			} catch ( WP_Platform_Error $e ) {
				$this->assertSame( 500, $e->status );
			}
		}
	}
}
