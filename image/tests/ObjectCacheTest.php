<?php
/**
 * The object-cache drop-in's pure parts (wordpress/wp-content/object-cache.php), without Redis:
 * key building under the site's prefix, groups, the SCAN pattern, the settings it reads, and the
 * in-process cache it falls back to.
 */

use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../wordpress/wp-content/object-cache.php';

final class ObjectCacheTest extends TestCase {

	private static function cache( string $prefix = 'shop-1:' ): WP_Object_Cache {
		$cache         = new WP_Object_Cache();
		$cache->config = array(
			'host'     => 'cache.example',
			'port'     => 6379,
			'password' => '',
			'prefix'   => $prefix,
			'ca'       => '',
		);
		return $cache;
	}

	public function test_every_key_is_under_the_site_prefix_then_blog_group_and_key(): void {
		$this->assertSame( 'shop-1:1:posts:42', wp_platform_cache_key( 'shop-1:', '1', 'posts', '42' ) );
		$cache = self::cache();
		$this->assertSame( 'shop-1:1:options:alloptions', $cache->key( 'alloptions', 'options' ) );
		$this->assertSame( 'shop-1:1:default:7', $cache->key( 7, 'default' ) );
	}

	public function test_a_global_group_is_shared_by_the_blogs_of_a_site_but_not_across_sites(): void {
		$cache = self::cache();
		$cache->add_global_groups( array( 'users', 'userlogins' ) );
		$this->assertSame( 'shop-1:global:users:1', $cache->key( 1, 'users' ) );
		$this->assertSame( 'shop-2:global:users:1', self::with_groups( self::cache( 'shop-2:' ) )->key( 1, 'users' ) );
	}

	private static function with_groups( WP_Object_Cache $cache ): WP_Object_Cache {
		$cache->add_global_groups( 'users' );
		return $cache;
	}

	public function test_switch_to_blog_changes_the_blog_part_only_in_a_multisite(): void {
		$cache = self::cache();
		$cache->switch_to_blog( 3 );
		$this->assertSame( 'shop-1:1:posts:1', $cache->key( 1, 'posts' ), 'single site: always blog 1' );
		$cache->multisite = true;
		$cache->switch_to_blog( 3 );
		$this->assertSame( 'shop-1:3:posts:1', $cache->key( 1, 'posts' ) );
	}

	public function test_wordpress_s_non_persistent_groups_are_kept_in_process(): void {
		$cache = new WP_Object_Cache();
		foreach ( array( 'counts', 'plugins', 'themes', 'theme_json' ) as $group ) {
			$this->assertTrue( $cache->is_non_persistent( $group ), $group );
		}
		$this->assertFalse( $cache->is_non_persistent( 'posts' ) );
		$cache->add_non_persistent_groups( array( 'e2e' ) );
		$this->assertTrue( $cache->is_non_persistent( 'e2e' ) );
	}

	/** @dataProvider globs */
	public function test_the_scan_pattern_matches_the_prefix_literally( string $prefix, string $pattern ): void {
		$this->assertSame( $pattern, wp_platform_cache_scan_pattern( $prefix ) );
	}

	public static function globs(): array {
		return array(
			'a site id'         => array( 'shop-1:', 'shop-1:*' ),
			'star'              => array( 'a*:', 'a\\*:*' ),
			'question mark'     => array( 'a?:', 'a\\?:*' ),
			'brackets'          => array( 'a[bc]:', 'a\\[bc\\]:*' ),
			'caret'             => array( 'a[^b]:', 'a\\[\\^b\\]:*' ),
			'backslash'         => array( 'a\\:', 'a\\\\:*' ),
		);
	}

	public function test_the_scan_pattern_of_a_glob_prefix_matches_no_other_site_s_keys(): void {
		$pattern = wp_platform_cache_scan_pattern( 's*:' );
		// Redis's glob as fnmatch without FNM_NOESCAPE: the escaped star matches only a star.
		$this->assertTrue( fnmatch( $pattern, 's*:1:posts:1' ) );
		$this->assertFalse( fnmatch( $pattern, 'shop-1:1:posts:1' ) );
		$this->assertFalse( fnmatch( wp_platform_cache_scan_pattern( 'shop:' ), 'shop-preview:1:posts:1' ) );
	}

	public function test_a_group_s_scan_pattern_is_under_the_prefix(): void {
		$this->assertSame( 'shop-1:1:posts:*', wp_platform_cache_scan_pattern( 'shop-1:', '1:posts:' ) );
	}

	public function test_no_host_or_no_prefix_means_no_persistent_cache(): void {
		$this->assertNull( wp_platform_cache_config( array() ) );
		$this->assertNull( wp_platform_cache_config( array( 'WP_REDIS_HOST' => 'cache.example' ) ) );
		$this->assertNull( wp_platform_cache_config( array( 'WP_REDIS_PREFIX' => 'shop-1:' ) ) );
		$this->assertSame(
			array(
				'host'     => 'cache.example',
				'port'     => 6380,
				'password' => 'token',
				'prefix'   => 'shop-1:',
				'ca'       => '',
			),
			wp_platform_cache_config(
				array(
					'WP_REDIS_HOST'     => 'cache.example',
					'WP_REDIS_PORT'     => '6380',
					'WP_REDIS_PASSWORD' => 'token',
					'WP_REDIS_PREFIX'   => 'shop-1:',
				)
			)
		);
		$this->assertSame( 6379, wp_platform_cache_config( array( 'WP_REDIS_HOST' => 'h', 'WP_REDIS_PREFIX' => 'p:' ) )['port'] );
	}

	public function test_without_redis_it_is_wordpress_s_in_process_cache(): void {
		$cache = new WP_Object_Cache();
		$this->assertFalse( $cache->is_persistent() );
		$this->assertTrue( $cache->add( 'k', 'v', 'g' ) );
		$this->assertFalse( $cache->add( 'k', 'other', 'g' ), 'add does not overwrite' );
		$this->assertSame( 'v', $cache->get( 'k', 'g', false, $found ) );
		$this->assertTrue( $found );
		$this->assertFalse( $cache->replace( 'missing', 'v', 'g' ) );
		$this->assertTrue( $cache->replace( 'k', 'w', 'g' ) );
		$this->assertTrue( $cache->set( 'n', 5, 'g' ) );
		$this->assertSame( 7, $cache->incr( 'n', 2, 'g' ) );
		$this->assertSame( 0, $cache->decr( 'n', 10, 'g' ), 'never below 0' );
		$this->assertFalse( $cache->incr( 'missing', 1, 'g' ) );
		$this->assertSame( array( 'k' => 'w', 'x' => false ), $cache->get_multiple( array( 'k', 'x' ), 'g' ) );
		$this->assertTrue( $cache->delete( 'k', 'g' ) );
		$this->assertFalse( $cache->get( 'k', 'g', false, $found ) );
		$this->assertFalse( $found );
		$this->assertSame( 0, $cache->flush_site(), 'nothing persistent to flush' );
		$this->assertGreaterThanOrEqual( 1, $cache->cache_hits );
		$this->assertGreaterThanOrEqual( 1, $cache->cache_misses );
	}

	public function test_a_stored_false_is_found(): void {
		$cache = new WP_Object_Cache();
		$cache->set( 'f', false );
		$this->assertFalse( $cache->get( 'f', '', false, $found ) );
		$this->assertTrue( $found );
	}

	public function test_an_object_is_copied_in_and_out(): void {
		$cache  = new WP_Object_Cache();
		$object = (object) array( 'a' => 1 );
		$cache->set( 'o', $object );
		$object->a = 2;
		$this->assertSame( 1, $cache->get( 'o' )->a );
	}
}
