<?php
/**
 * The pure parts of `wp platform cron-runner` (cron-runner.php): which sites a color's runner
 * runs, its settings from the environment, the scheduler that keeps at most N sites running with
 * a time limit each, and the one log line per site. No WordPress, no WP-CLI, no processes: the
 * scheduler is given its process operations, so PHPUnit tests it as it is (image/tests/).
 */

const WP_PLATFORM_CRON_DEFAULTS = array(
	'WP_CRON_CONCURRENCY'  => 4,
	'WP_CRON_SITE_TIMEOUT' => 120,
	'WP_CRON_INTERVAL'     => 60,
);

/** The MySQL lock a site's event run holds (cron-lock.php): one run per site, whichever pod. */
function wp_platform_cron_lock_name( string $site ): string {
	return "wp-platform-cron:$site";
}

/**
 * The sites whose live hosts the site index gives to $color, sorted, each once. A preview entry
 * carries the other color: its site is run by the runner of the color that serves it live.
 */
function wp_platform_color_sites( array $index, string $color ): array {
	$sites = array();
	foreach ( ( is_array( $index['hosts'] ?? null ) ? $index['hosts'] : array() ) as $entry ) {
		if ( ! is_array( $entry ) || true === ( $entry['preview'] ?? false ) ) {
			continue;
		}
		if ( ( $entry['color'] ?? null ) === $color && is_string( $entry['site'] ?? null ) && '' !== $entry['site'] ) {
			$sites[ $entry['site'] ] = true;
		}
	}
	$sites = array_keys( $sites );
	sort( $sites, SORT_STRING );
	return $sites;
}

/**
 * The runner's settings: WP_CRON_CONCURRENCY, WP_CRON_SITE_TIMEOUT and WP_CRON_INTERVAL (positive
 * whole numbers; unset or empty is the default) and WP_PLATFORM_COLOR (required).
 *
 * @param callable(string): (string|false) $getenv
 * @return array{color: string, concurrency: int, timeout: int, interval: int}
 */
function wp_platform_cron_settings( callable $getenv ): array {
	$color = $getenv( 'WP_PLATFORM_COLOR' );
	if ( false === $color || '' === $color ) {
		throw new WP_Platform_Job_Error( 'WP_PLATFORM_COLOR is not set: a cron runner runs the sites of one color' );
	}
	$numbers = array();
	foreach ( WP_PLATFORM_CRON_DEFAULTS as $name => $default ) {
		$raw = $getenv( $name );
		if ( false === $raw || '' === $raw ) {
			$numbers[ $name ] = $default;
		} elseif ( ctype_digit( (string) $raw ) && (int) $raw > 0 ) {
			$numbers[ $name ] = (int) $raw;
		} else {
			throw new WP_Platform_Job_Error( "$name is not a positive whole number (got " . json_encode( $raw ) . ')' );
		}
	}
	return array(
		'color'       => (string) $color,
		'concurrency' => $numbers['WP_CRON_CONCURRENCY'],
		'timeout'     => $numbers['WP_CRON_SITE_TIMEOUT'],
		'interval'    => $numbers['WP_CRON_INTERVAL'],
	);
}

/** How many events a `wp cron event run` reported running ("Executed a total of N cron events."), or null. */
function wp_platform_cron_events_run( string $stdout ): ?int {
	return preg_match( '/Executed a total of (\d+) cron events?/', $stdout, $m ) ? (int) $m[1] : null;
}

/**
 * The outcome of one site's run from how its child ended: `ok`, `locked` (another run holds the
 * site: skipped), `timeout` (killed at the limit) or `failed`, with the events run and a reason.
 *
 * @return array{outcome: string, events: int|null, reason: string|null}
 */
function wp_platform_cron_outcome( ?int $exit, bool $timed_out, string $stdout, string $stderr, int $timeout ): array {
	$events = wp_platform_cron_events_run( $stdout );
	if ( $timed_out ) {
		return array( 'outcome' => 'timeout', 'events' => $events, 'reason' => "killed after {$timeout}s" );
	}
	if ( 0 === $exit && false !== strpos( $stdout, WP_PLATFORM_CRON_LOCKED ) ) {
		return array( 'outcome' => 'locked', 'events' => 0, 'reason' => "another run holds the site's lock" );
	}
	if ( 0 === $exit ) {
		return array( 'outcome' => 'ok', 'events' => $events ?? 0, 'reason' => null );
	}
	$lines  = array_values( array_filter( array_map( 'trim', explode( "\n", $stderr . "\n" . $stdout ) ), 'strlen' ) );
	$errors = array_values( array_filter( $lines, fn( $l ) => preg_match( '/^(Error|PHP Fatal error|Fatal error)\b/', $l ) ) );
	$why    = $errors ? $errors[0] : ( $lines ? end( $lines ) : 'no output' );
	return array( 'outcome' => 'failed', 'events' => $events, 'reason' => ( null === $exit ? 'killed' : "exit $exit" ) . ': ' . wp_platform_one_line( substr( $why, 0, 300 ) ) );
}

/** What a child prints when another run holds its site's lock (cron-lock.php). */
const WP_PLATFORM_CRON_LOCKED = 'wp-platform cron: locked';

/** One line per site: `cron-runner: site=<id> outcome=<o> duration=<s>s events=<n>[ reason="..."]`. */
function wp_platform_cron_line( string $site, array $result, float $seconds ): string {
	$line = sprintf( 'cron-runner: site=%s outcome=%s duration=%.2fs events=%s', $site, $result['outcome'], $seconds, null === $result['events'] ? '?' : (string) $result['events'] );
	if ( null !== $result['reason'] ) {
		$line .= ' reason=' . json_encode( $result['reason'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}
	return $line;
}

/**
 * Runs $sites through at most $concurrency children at once, each killed after $timeout seconds,
 * in order; calls $report once per site as it ends. A site that fails never holds up the others
 * beyond its own slot. $stop() true means: start no more sites (SIGTERM), finish the running ones.
 *
 * @param callable(string): mixed                     $start  starts a site's child, returns a handle
 * @param callable(mixed): ?array                     $poll   null while running, else the result (outcome etc.)
 * @param callable(mixed): array                      $kill   kills it (time limit), returns its result
 * @param callable(string, array, float): void        $report
 * @param callable(): float                           $clock  seconds
 * @param callable(): void                            $wait   a short pause between polls
 * @param callable(): bool                            $stop
 * @return array<string, array> site => result, for the sites started
 */
function wp_platform_cron_schedule( array $sites, int $concurrency, int $timeout, callable $start, callable $poll, callable $kill, callable $report, callable $clock, callable $wait, callable $stop ): array {
	$queue   = array_values( $sites );
	$running = array();
	$results = array();
	while ( $queue || $running ) {
		while ( $queue && count( $running ) < max( 1, $concurrency ) && ! $stop() ) {
			$site             = array_shift( $queue );
			$running[ $site ] = array(
				'handle'  => $start( $site ),
				'started' => $clock(),
			);
		}
		if ( $stop() ) {
			$queue = array();
		}
		foreach ( $running as $site => $run ) {
			$result = $poll( $run['handle'] );
			if ( null === $result && $clock() - $run['started'] >= $timeout ) {
				$result = $kill( $run['handle'] );
			}
			if ( null !== $result ) {
				unset( $running[ $site ] );
				$results[ $site ] = $result;
				$report( (string) $site, $result, $clock() - $run['started'] );
			}
		}
		if ( $running ) {
			$wait();
		}
	}
	return $results;
}
