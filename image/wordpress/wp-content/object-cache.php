<?php
/**
 * wp-platform object cache: WordPress's object cache API on Redis (Valkey) through phpredis
 * (Debian's php-redis), our own because the well-kept drop-ins (rhubarbgroup/redis-cache,
 * pantheon-systems/wp-redis) are not in the registry the image builds from (image/README.md,
 * "Object cache").
 *
 * - An in-process runtime cache in front of Redis; non-persistent groups stay in process only.
 * - Every key is under the site's WP_REDIS_PREFIX (`<id>:`); a flush deletes only the keys
 *   matching that prefix (SCAN + UNLINK), never FLUSHALL or FLUSHDB.
 * - Always TLS, the server certificate verified (WP_REDIS_CA, else the system trust store), and
 *   AUTH with WP_REDIS_PASSWORD.
 * - Short timeouts; on any Redis failure the rest of the request runs on the runtime cache alone
 *   (one error_log line): a cache outage gives uncached pages, never errors.
 * - No WP_REDIS_HOST: a pure in-process cache, as WordPress without a drop-in.
 */

/** Connect and read timeouts, in seconds. */
const WP_PLATFORM_CACHE_CONNECT_TIMEOUT = 0.5;
const WP_PLATFORM_CACHE_READ_TIMEOUT    = 0.5;

/** The Redis key of $key in $group: `<prefix><blog>:<group>:<key>`, where <blog> is `global` for a global group. */
function wp_platform_cache_key( string $prefix, string $blog, string $group, string $key ): string {
	return $prefix . $blog . ':' . $group . ':' . $key;
}

/** $text with Redis glob characters (`* ? [ ] \`) escaped, so a SCAN MATCH pattern matches it literally. */
function wp_platform_cache_glob_escape( string $text ): string {
	return preg_replace( '/([*?\[\]\\\\^])/', '\\\\$1', $text );
}

/** The SCAN MATCH pattern of every key under $prefix (and, when given, under $rest after it). */
function wp_platform_cache_scan_pattern( string $prefix, string $rest = '' ): string {
	return wp_platform_cache_glob_escape( $prefix . $rest ) . '*';
}

/**
 * The connection settings from the constants wp-config.php defines, or null for no persistent
 * cache (no host, or no prefix: a cache shared by many sites is never used without one).
 *
 * @return array{host: string, port: int, password: string, prefix: string, ca: string}|null
 */
function wp_platform_cache_config( array $constants ): ?array {
	$host   = (string) ( $constants['WP_REDIS_HOST'] ?? '' );
	$prefix = (string) ( $constants['WP_REDIS_PREFIX'] ?? '' );
	if ( '' === $host || '' === $prefix ) {
		return null;
	}
	$port = (int) ( $constants['WP_REDIS_PORT'] ?? 6379 );
	return array(
		'host'     => $host,
		'port'     => $port > 0 ? $port : 6379,
		'password' => (string) ( $constants['WP_REDIS_PASSWORD'] ?? '' ),
		'prefix'   => $prefix,
		'ca'       => (string) ( $constants['WP_REDIS_CA'] ?? '' ),
	);
}

/** The object cache: runtime arrays in front of Redis. */
class WP_Object_Cache {

	/** @var array<string, array<string, mixed>> group => key => value, this request's copy */
	public $cache = array();
	/** @var int */
	public $cache_hits = 0;
	/** @var int */
	public $cache_misses = 0;
	/** @var int Redis round trips */
	public $redis_calls = 0;
	/** @var array<string, true> */
	public $global_groups = array();
	/** @var array<string, true> */
	public $non_persistent_groups = array();
	/** @var string */
	public $blog_prefix = '1';
	/** @var bool */
	public $multisite = false;
	/** @var array|null the connection settings, null for none */
	public $config;
	/** @var Redis|null connected and authenticated, or null (none configured, or it failed) */
	private $redis;
	/** @var string|null why Redis is not used in this request */
	public $redis_error;

	public function __construct( ?array $config = null ) {
		$this->multisite   = function_exists( 'is_multisite' ) && is_multisite();
		$this->blog_prefix = $this->multisite && function_exists( 'get_current_blog_id' ) ? (string) get_current_blog_id() : '1';
		$this->config      = $config;
		// WordPress's own non-persistent groups (wp-settings.php adds them again).
		$this->add_non_persistent_groups( array( 'counts', 'plugins', 'themes', 'theme_json' ) );
		if ( null !== $config ) {
			$this->connect();
		}
	}

	/** Whether Redis backs this cache now. */
	public function is_persistent(): bool {
		return null !== $this->redis;
	}

	private function connect(): void {
		if ( ! class_exists( 'Redis' ) ) {
			$this->fail( 'the php-redis extension is not loaded' );
			return;
		}
		$c   = $this->config;
		$ssl = array(
			'verify_peer'       => true,
			'verify_peer_name'  => true,
			'peer_name'         => $c['host'],
			'allow_self_signed' => false,
		);
		if ( '' !== $c['ca'] ) {
			$ssl['cafile'] = $c['ca'];
		}
		try {
			$redis = new Redis();
			$ok    = @$redis->connect( 'tls://' . $c['host'], $c['port'], WP_PLATFORM_CACHE_CONNECT_TIMEOUT, null, 0, WP_PLATFORM_CACHE_READ_TIMEOUT, array( 'stream' => $ssl ) );
			if ( ! $ok ) {
				$this->fail( 'cannot connect over TLS' );
				return;
			}
			if ( '' !== $c['password'] && ! $redis->auth( $c['password'] ) ) {
				$this->fail( 'AUTH refused' );
				return;
			}
			$this->redis = $redis;
		} catch ( Throwable $e ) {
			$this->fail( $e->getMessage() );
		}
	}

	/** Stops using Redis for the rest of the request; logs once why. */
	private function fail( string $why ): void {
		$this->redis = null;
		if ( null === $this->redis_error ) {
			$this->redis_error = $why;
			$where             = null === $this->config ? '' : " at {$this->config['host']}:{$this->config['port']}";
			error_log( "wp-platform: object cache$where unavailable ($why): this request runs without it" );
		}
	}

	/** Runs $call on Redis; on failure falls back for the rest of the request and returns $fallback. */
	private function redis( callable $call, $fallback = false ) {
		if ( null === $this->redis ) {
			return $fallback;
		}
		try {
			++$this->redis_calls;
			return $call( $this->redis );
		} catch ( Throwable $e ) {
			$this->fail( $e->getMessage() );
			return $fallback;
		}
	}

	private static function group( $group ): string {
		return ( null === $group || '' === $group ) ? 'default' : (string) $group;
	}

	/** Whether $group lives only in this process. */
	public function is_non_persistent( string $group ): bool {
		return isset( $this->non_persistent_groups[ $group ] );
	}

	/** The Redis key of $key in $group. */
	public function key( $key, string $group ): string {
		$blog = isset( $this->global_groups[ $group ] ) ? 'global' : $this->blog_prefix;
		return wp_platform_cache_key( $this->config['prefix'] ?? '', $blog, $group, (string) $key );
	}

	private function persists( string $group ): bool {
		return null !== $this->redis && ! $this->is_non_persistent( $group );
	}

	private static function valid_key( $key ): bool {
		return is_int( $key ) || ( is_string( $key ) && '' !== trim( $key ) );
	}

	private static function copy( $value ) {
		return is_object( $value ) ? clone $value : $value;
	}

	private static function ttl( $expire ): int {
		$expire = (int) $expire;
		return $expire > 0 ? $expire : 0;
	}

	private function store( string $rkey, $value, int $ttl, array $options = array() ): bool {
		return (bool) $this->redis(
			function ( Redis $r ) use ( $rkey, $value, $ttl, $options ) {
				if ( $ttl > 0 ) {
					$options['ex'] = $ttl;
				}
				return $options ? $r->set( $rkey, serialize( $value ), $options ) : $r->set( $rkey, serialize( $value ) );
			}
		);
	}

	private static function unserialize_value( $raw, &$found ) {
		if ( false === $raw || null === $raw ) {
			$found = false;
			return false;
		}
		if ( 'b:0;' === $raw ) {
			$found = true;
			return false;
		}
		$value = @unserialize( $raw, array( 'allowed_classes' => true ) );
		$found = false !== $value;
		return $value;
	}

	public function add( $key, $data, $group = 'default', $expire = 0 ): bool {
		if ( function_exists( 'wp_suspend_cache_addition' ) && wp_suspend_cache_addition() ) {
			return false;
		}
		if ( ! self::valid_key( $key ) ) {
			return false;
		}
		$group = self::group( $group );
		if ( isset( $this->cache[ $group ] ) && array_key_exists( (string) $key, $this->cache[ $group ] ) ) {
			return false;
		}
		if ( $this->persists( $group ) ) {
			if ( ! $this->store( $this->key( $key, $group ), $data, self::ttl( $expire ), array( 'nx' ) ) ) {
				if ( null !== $this->redis ) {
					return false;
				}
			}
		}
		$this->cache[ $group ][ (string) $key ] = self::copy( $data );
		return true;
	}

	public function add_multiple( array $data, $group = '', $expire = 0 ): array {
		$out = array();
		foreach ( $data as $key => $value ) {
			$out[ $key ] = $this->add( $key, $value, $group, $expire );
		}
		return $out;
	}

	public function replace( $key, $data, $group = 'default', $expire = 0 ): bool {
		if ( ! self::valid_key( $key ) ) {
			return false;
		}
		$group = self::group( $group );
		if ( $this->persists( $group ) ) {
			if ( ! $this->store( $this->key( $key, $group ), $data, self::ttl( $expire ), array( 'xx' ) ) ) {
				if ( null !== $this->redis ) {
					unset( $this->cache[ $group ][ (string) $key ] );
					return false;
				}
			}
		} elseif ( ! isset( $this->cache[ $group ] ) || ! array_key_exists( (string) $key, $this->cache[ $group ] ) ) {
			return false;
		}
		$this->cache[ $group ][ (string) $key ] = self::copy( $data );
		return true;
	}

	public function set( $key, $data, $group = 'default', $expire = 0 ): bool {
		if ( ! self::valid_key( $key ) ) {
			return false;
		}
		$group                                  = self::group( $group );
		$this->cache[ $group ][ (string) $key ] = self::copy( $data );
		if ( $this->persists( $group ) ) {
			$this->store( $this->key( $key, $group ), $data, self::ttl( $expire ) );
		}
		return true;
	}

	public function set_multiple( array $data, $group = '', $expire = 0 ): array {
		$group = self::group( $group );
		$out   = array();
		foreach ( $data as $key => $value ) {
			if ( ! self::valid_key( $key ) ) {
				$out[ $key ] = false;
				continue;
			}
			$this->cache[ $group ][ (string) $key ] = self::copy( $value );
			$out[ $key ]                            = true;
		}
		if ( $this->persists( $group ) ) {
			$ttl = self::ttl( $expire );
			$this->redis(
				function ( Redis $r ) use ( $data, $group, $ttl, $out ) {
					$pipe = $r->multi( Redis::PIPELINE );
					foreach ( $data as $key => $value ) {
						if ( $out[ $key ] ) {
							$ttl > 0 ? $pipe->set( $this->key( $key, $group ), serialize( $value ), array( 'ex' => $ttl ) ) : $pipe->set( $this->key( $key, $group ), serialize( $value ) );
						}
					}
					return $pipe->exec();
				}
			);
		}
		return $out;
	}

	public function get( $key, $group = 'default', $force = false, &$found = null ) {
		if ( ! self::valid_key( $key ) ) {
			$found = false;
			return false;
		}
		$group = self::group( $group );
		$k     = (string) $key;
		if ( ( ! $force || ! $this->persists( $group ) ) && isset( $this->cache[ $group ] ) && array_key_exists( $k, $this->cache[ $group ] ) ) {
			$found = true;
			++$this->cache_hits;
			return self::copy( $this->cache[ $group ][ $k ] );
		}
		if ( ! $this->persists( $group ) ) {
			$found = false;
			++$this->cache_misses;
			return false;
		}
		$raw   = $this->redis(
			function ( Redis $r ) use ( $key, $group ) {
				return $r->get( $this->key( $key, $group ) );
			}
		);
		$value = self::unserialize_value( $raw, $found );
		if ( ! $found ) {
			++$this->cache_misses;
			return false;
		}
		++$this->cache_hits;
		$this->cache[ $group ][ $k ] = $value;
		return self::copy( $value );
	}

	public function get_multiple( $keys, $group = 'default', $force = false ): array {
		$group   = self::group( $group );
		$out     = array();
		$missing = array();
		foreach ( $keys as $key ) {
			if ( ! self::valid_key( $key ) ) {
				$out[ $key ] = false;
				continue;
			}
			if ( ( ! $force || ! $this->persists( $group ) ) && isset( $this->cache[ $group ] ) && array_key_exists( (string) $key, $this->cache[ $group ] ) ) {
				++$this->cache_hits;
				$out[ $key ] = self::copy( $this->cache[ $group ][ (string) $key ] );
			} else {
				$missing[]   = $key;
				$out[ $key ] = false;
			}
		}
		if ( ! $missing ) {
			return $out;
		}
		if ( ! $this->persists( $group ) ) {
			$this->cache_misses += count( $missing );
			return $out;
		}
		$raws = $this->redis(
			function ( Redis $r ) use ( $missing, $group ) {
				return $r->mget( array_map( fn( $k ) => $this->key( $k, $group ), $missing ) );
			},
			array()
		);
		foreach ( $missing as $i => $key ) {
			$value = self::unserialize_value( is_array( $raws ) ? ( $raws[ $i ] ?? false ) : false, $found );
			if ( $found ) {
				++$this->cache_hits;
				$this->cache[ $group ][ (string) $key ] = $value;
				$out[ $key ]                            = self::copy( $value );
			} else {
				++$this->cache_misses;
			}
		}
		return $out;
	}

	public function delete( $key, $group = 'default', $deprecated = false ): bool {
		if ( ! self::valid_key( $key ) ) {
			return false;
		}
		$group   = self::group( $group );
		$present = isset( $this->cache[ $group ] ) && array_key_exists( (string) $key, $this->cache[ $group ] );
		unset( $this->cache[ $group ][ (string) $key ] );
		if ( $this->persists( $group ) ) {
			return $this->redis(
				function ( Redis $r ) use ( $key, $group ) {
					return $r->unlink( $this->key( $key, $group ) ) > 0;
				},
				$present
			);
		}
		return $present;
	}

	public function delete_multiple( array $keys, $group = '' ): array {
		$out = array();
		foreach ( $keys as $key ) {
			$out[ $key ] = $this->delete( $key, $group );
		}
		return $out;
	}

	/** Shared by incr and decr, as WordPress's own: a non-number counts as 0, never below 0. */
	private function offset( $key, int $offset, $group ) {
		$group = self::group( $group );
		$value = $this->get( $key, $group, false, $found );
		if ( ! $found ) {
			return false;
		}
		$value = is_numeric( $value ) ? $value + $offset : $offset;
		$value = max( 0, (int) $value );
		$this->cache[ $group ][ (string) $key ] = $value;
		if ( $this->persists( $group ) ) {
			// Keeps the key's remaining time to live.
			$this->store( $this->key( $key, $group ), $value, 0, array( 'keepttl' ) );
		}
		return $value;
	}

	public function incr( $key, $offset = 1, $group = 'default' ) {
		return $this->offset( $key, (int) $offset, $group );
	}

	public function decr( $key, $offset = 1, $group = 'default' ) {
		return $this->offset( $key, -(int) $offset, $group );
	}

	/**
	 * Deletes every key of this site (under its prefix) with SCAN + UNLINK, and the runtime cache.
	 *
	 * @return int|false how many Redis keys it deleted (0 with no persistent cache), false on failure
	 */
	public function flush_site() {
		$this->cache = array();
		if ( null === $this->redis ) {
			return null === $this->config ? 0 : false;
		}
		return $this->delete_matching( wp_platform_cache_scan_pattern( $this->config['prefix'] ) );
	}

	/** @return int|false */
	private function delete_matching( string $pattern ) {
		return $this->redis(
			function ( Redis $r ) use ( $pattern ) {
				$r->setOption( Redis::OPT_SCAN, Redis::SCAN_RETRY );
				$deleted  = 0;
				$iterator = null;
				while ( false !== ( $keys = $r->scan( $iterator, $pattern, 1000 ) ) ) {
					if ( $keys ) {
						$deleted += (int) $r->unlink( $keys );
					}
					if ( 0 === $iterator ) {
						break;
					}
				}
				return $deleted;
			}
		);
	}

	public function flush(): bool {
		return false !== $this->flush_site();
	}

	public function flush_group( $group ): bool {
		$group = self::group( $group );
		unset( $this->cache[ $group ] );
		if ( ! $this->persists( $group ) ) {
			return true;
		}
		$blog = isset( $this->global_groups[ $group ] ) ? 'global' : $this->blog_prefix;
		return false !== $this->delete_matching( wp_platform_cache_scan_pattern( $this->config['prefix'], "$blog:$group:" ) );
	}

	public function flush_runtime(): bool {
		$this->cache = array();
		return true;
	}

	public function add_global_groups( $groups ): void {
		foreach ( (array) $groups as $group ) {
			$this->global_groups[ (string) $group ] = true;
		}
	}

	public function add_non_persistent_groups( $groups ): void {
		foreach ( (array) $groups as $group ) {
			$this->non_persistent_groups[ (string) $group ] = true;
		}
	}

	public function switch_to_blog( $blog_id ): void {
		$this->blog_prefix = $this->multisite ? (string) (int) $blog_id : '1';
	}

	public function close(): bool {
		if ( null !== $this->redis ) {
			try {
				$this->redis->close();
			} catch ( Throwable $e ) {
				// closing anyway
			}
			$this->redis = null;
		}
		return true;
	}

	public function stats(): void {
		echo '<p>';
		echo "<strong>Cache Hits:</strong> {$this->cache_hits}<br />";
		echo "<strong>Cache Misses:</strong> {$this->cache_misses}<br />";
		echo '<strong>Redis:</strong> ' . ( $this->is_persistent() ? "{$this->redis_calls} calls" : 'not used' . ( $this->redis_error ? " ({$this->redis_error})" : '' ) );
		echo '</p>';
		echo '<ul>';
		foreach ( $this->cache as $group => $cache ) {
			printf( '<li><strong>Group:</strong> %s - ( %.2fk )</li>', htmlspecialchars( $group ), strlen( serialize( $cache ) ) / 1024 );
		}
		echo '</ul>';
	}
}

function wp_cache_init() {
	$constants = array();
	foreach ( array( 'WP_REDIS_HOST', 'WP_REDIS_PORT', 'WP_REDIS_PASSWORD', 'WP_REDIS_PREFIX', 'WP_REDIS_CA' ) as $name ) {
		if ( defined( $name ) ) {
			$constants[ $name ] = constant( $name );
		}
	}
	$GLOBALS['wp_object_cache'] = new WP_Object_Cache( wp_platform_cache_config( $constants ) );
	// Without Redis (none configured, or unreachable), as if there were no drop-in: WordPress keeps
	// transients in the database, not in a cache that ends with the request. Not in a multisite,
	// whose second wp_start_object_cache() would then load wp-includes/cache.php over these.
	$multisite = function_exists( 'is_multisite' ) && is_multisite();
	if ( ! $GLOBALS['wp_object_cache']->is_persistent() && ! $multisite && function_exists( 'wp_using_ext_object_cache' ) ) {
		wp_using_ext_object_cache( false );
	}
}

function wp_cache_add( $key, $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->add( $key, $data, $group, (int) $expire );
}

function wp_cache_add_multiple( array $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->add_multiple( $data, $group, (int) $expire );
}

function wp_cache_replace( $key, $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->replace( $key, $data, $group, (int) $expire );
}

function wp_cache_set( $key, $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->set( $key, $data, $group, (int) $expire );
}

function wp_cache_set_multiple( array $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->set_multiple( $data, $group, (int) $expire );
}

function wp_cache_get( $key, $group = '', $force = false, &$found = null ) {
	return $GLOBALS['wp_object_cache']->get( $key, $group, $force, $found );
}

function wp_cache_get_multiple( $keys, $group = '', $force = false ) {
	return $GLOBALS['wp_object_cache']->get_multiple( $keys, $group, $force );
}

function wp_cache_delete( $key, $group = '' ) {
	return $GLOBALS['wp_object_cache']->delete( $key, $group );
}

function wp_cache_delete_multiple( array $keys, $group = '' ) {
	return $GLOBALS['wp_object_cache']->delete_multiple( $keys, $group );
}

function wp_cache_incr( $key, $offset = 1, $group = '' ) {
	return $GLOBALS['wp_object_cache']->incr( $key, $offset, $group );
}

function wp_cache_decr( $key, $offset = 1, $group = '' ) {
	return $GLOBALS['wp_object_cache']->decr( $key, $offset, $group );
}

function wp_cache_flush() {
	return $GLOBALS['wp_object_cache']->flush();
}

function wp_cache_flush_runtime() {
	return $GLOBALS['wp_object_cache']->flush_runtime();
}

function wp_cache_flush_group( $group ) {
	return $GLOBALS['wp_object_cache']->flush_group( $group );
}

function wp_cache_supports( $feature ) {
	switch ( $feature ) {
		case 'add_multiple':
		case 'set_multiple':
		case 'get_multiple':
		case 'delete_multiple':
		case 'flush_runtime':
		case 'flush_group':
			return true;
		default:
			return false;
	}
}

function wp_cache_close() {
	return $GLOBALS['wp_object_cache']->close();
}

function wp_cache_add_global_groups( $groups ) {
	$GLOBALS['wp_object_cache']->add_global_groups( $groups );
}

function wp_cache_add_non_persistent_groups( $groups ) {
	$GLOBALS['wp_object_cache']->add_non_persistent_groups( $groups );
}

function wp_cache_switch_to_blog( $blog_id ) {
	$GLOBALS['wp_object_cache']->switch_to_blog( $blog_id );
}

/** Deprecated in WordPress 3.5, kept for old callers. */
function wp_cache_reset() {
	$GLOBALS['wp_object_cache']->flush_runtime();
}
