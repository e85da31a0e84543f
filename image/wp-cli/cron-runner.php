<?php
/**
 * `wp platform cron-runner [--once]`: the command of a color's cron runner (components/release.ts,
 * Deployment `cron-<color>`). No visitor runs WP-Cron (DISABLE_WP_CRON), so this does: every
 * WP_CRON_INTERVAL seconds it reads the site index, takes the sites whose live hosts its color
 * (WP_PLATFORM_COLOR) serves, and runs each one's `wp cron event run --due-now` as a child process
 * of the image's own `wp`, with the pod's environment plus WP_SITE_ID=<id>:
 *   - at most WP_CRON_CONCURRENCY children at once, each killed after WP_CRON_SITE_TIMEOUT seconds
 *     (reported as a timeout); one site's failure or hang never holds up the others;
 *   - one line per site on stdout: `cron-runner: site=<id> outcome=ok|failed|timeout|locked
 *     duration=<s>s events=<n>` (and `reason="..."` when it did not go well);
 *   - never two runs of one site at once, across pods and colors too: each child takes the MySQL
 *     lock `wp-platform-cron:<id>` on the site's connection before its events run (cron-lock.php);
 *     a site whose lock is held is reported `locked` and left to the run that holds it;
 *   - SIGTERM (or SIGINT): starts no more sites, lets the running ones finish (each still under its
 *     time limit), exits 0. The Deployment's Recreate stops the old runner that way.
 * It runs before WordPress loads (the pod has no WP_SITE_ID): the children load each site.
 * --once: one round, then exit; exit 1 when a site failed or timed out (for tests).
 */

if ( ! class_exists( 'WP_CLI' ) ) {
	return;
}

require_once __DIR__ . '/lib.php';
require_once __DIR__ . '/cron-lib.php';

/** Where the site index is when the pod does not say (the image's default, as wp-config.php). */
const WP_PLATFORM_CRON_DEFAULT_INDEX = '/etc/wp-platform/index/sites.json';
/** Output kept of each child: the end of it (the reason is in its last lines). */
const WP_PLATFORM_CRON_OUTPUT_LIMIT = 65536;

class WP_Platform_Cron_Runner_Command extends WP_CLI_Command {

	/** @var bool set by SIGTERM or SIGINT */
	private $stopping = false;

	/**
	 * Runs every due WP-Cron event of each site of this color, every WP_CRON_INTERVAL seconds.
	 *
	 * ## OPTIONS
	 *
	 * [--once]
	 * : Run one round, then exit (1 when a site failed or timed out).
	 */
	public function __invoke( $args, $assoc_args ) {
		try {
			$settings = wp_platform_cron_settings( 'getenv' );
		} catch ( RuntimeException $e ) {
			WP_CLI::error( wp_platform_one_line( $e->getMessage() ) );
		}
		$once = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'once', false );
		if ( function_exists( 'pcntl_async_signals' ) ) {
			pcntl_async_signals( true );
			foreach ( array( SIGTERM, SIGINT ) as $signal ) {
				pcntl_signal( $signal, fn() => $this->stopping = true );
			}
		}
		$index_file = getenv( 'WP_PLATFORM_SITE_INDEX' ) ?: WP_PLATFORM_CRON_DEFAULT_INDEX;
		$this->say(
			sprintf(
				'cron-runner: color %s, every %ds, %d site(s) at once, %ds per site, index %s',
				$settings['color'],
				$settings['interval'],
				$settings['concurrency'],
				$settings['timeout'],
				$index_file
			)
		);
		while ( true ) {
			$round_start = microtime( true );
			$failed      = $this->round( $index_file, $settings );
			if ( $once || $this->stopping ) {
				break;
			}
			// The next round starts an interval after this one started (at once when it ran longer).
			while ( ! $this->stopping && microtime( true ) < $round_start + $settings['interval'] ) {
				usleep( 100000 );
			}
			if ( $this->stopping ) {
				break;
			}
		}
		if ( $this->stopping ) {
			$this->say( 'cron-runner: stopping (signal): the running sites have finished' );
		}
		exit( $once && $failed ? 1 : 0 );
	}

	/** One round over the color's sites; returns whether any failed or timed out. */
	private function round( string $index_file, array $settings ): bool {
		$text  = @file_get_contents( $index_file );
		$index = false === $text ? null : json_decode( $text, true );
		if ( ! is_array( $index ) ) {
			$this->say( "cron-runner: site index $index_file is " . ( false === $text ? 'not readable' : 'not a JSON object' ) . '; no site run this round' );
			return true;
		}
		$sites   = wp_platform_color_sites( $index, $settings['color'] );
		$results = wp_platform_cron_schedule(
			$sites,
			$settings['concurrency'],
			$settings['timeout'],
			fn( $site ) => $this->start( $site ),
			fn( $run ) => $this->poll( $run, $settings['timeout'] ),
			fn( $run ) => $this->kill( $run, $settings['timeout'] ),
			fn( $site, $result, $seconds ) => $this->say( wp_platform_cron_line( $site, $result, $seconds ) ),
			fn() => microtime( true ),
			fn() => usleep( 50000 ),
			fn() => $this->stopping
		);
		return (bool) array_filter( $results, fn( $r ) => in_array( $r['outcome'], array( 'failed', 'timeout' ), true ) );
	}

	private function say( string $line ): void {
		WP_CLI::log( $line );
		fflush( STDOUT );
	}

	/** Starts `wp cron event run --due-now` for $site: the image's own wp, the pod's env plus WP_SITE_ID. */
	private function start( string $site ): stdClass {
		$env = getenv();
		foreach ( array_keys( $env ) as $name ) {
			// WP-CLI's own per-process settings of this runner are not the child's.
			if ( 0 === strpos( $name, 'WP_CLI_PHP_USED' ) ) {
				unset( $env[ $name ] );
			}
		}
		$env['WP_SITE_ID'] = $site;
		$argv              = array( dirname( __DIR__ ) . '/bin/wp', 'cron', 'event', 'run', '--due-now', '--require=' . __DIR__ . '/cron-lock.php' );
		$pipes             = array();
		$proc              = @proc_open( $argv, array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ), $pipes, null, $env );
		if ( false === $proc ) {
			return (object) array(
				'proc'   => null,
				'result' => array( 'outcome' => 'failed', 'events' => null, 'reason' => 'cannot start ' . $argv[0] ),
			);
		}
		stream_set_blocking( $pipes[1], false );
		stream_set_blocking( $pipes[2], false );
		return (object) array(
			'proc'   => $proc,
			'pipes'  => $pipes,
			'stdout' => '',
			'stderr' => '',
		);
	}

	private function drain( stdClass $run ): void {
		foreach ( array( 1 => 'stdout', 2 => 'stderr' ) as $fd => $key ) {
			$chunk = stream_get_contents( $run->pipes[ $fd ] );
			if ( false !== $chunk && '' !== $chunk ) {
				$run->$key = substr( $run->$key . $chunk, -WP_PLATFORM_CRON_OUTPUT_LIMIT );
			}
		}
	}

	/** Null while the child runs, else its result. */
	private function poll( stdClass $run, int $timeout ): ?array {
		if ( null === $run->proc ) {
			return $run->result;
		}
		$this->drain( $run );
		$status = proc_get_status( $run->proc );
		if ( $status['running'] ) {
			return null;
		}
		return $this->finish( $run, $status, false, $timeout );
	}

	/** Kills the child at its time limit (SIGKILL: a hung event does not answer SIGTERM). */
	private function kill( stdClass $run, int $timeout ): array {
		if ( null === $run->proc ) {
			return $run->result;
		}
		proc_terminate( $run->proc, 9 );
		$deadline = microtime( true ) + 5;
		do {
			$status = proc_get_status( $run->proc );
			if ( ! $status['running'] ) {
				break;
			}
			usleep( 20000 );
		} while ( microtime( true ) < $deadline );
		return $this->finish( $run, $status, true, $timeout );
	}

	private function finish( stdClass $run, array $status, bool $timed_out, int $timeout ): array {
		$this->drain( $run );
		fclose( $run->pipes[1] );
		fclose( $run->pipes[2] );
		proc_close( $run->proc );
		$exit        = $status['signaled'] ? null : (int) $status['exitcode'];
		$run->proc   = null;
		$run->result = wp_platform_cron_outcome( $exit, $timed_out, $run->stdout, $run->stderr, $timeout );
		return $run->result;
	}
}

WP_CLI::add_command( 'platform cron-runner', 'WP_Platform_Cron_Runner_Command', array( 'when' => 'before_wp_load' ) );
