<?php
/**
 * The pure parts of `wp platform cron-runner` (wp-cli/cron-lib.php): which sites a color runs, the
 * runner's settings, a child's outcome and log line, and the scheduler (with fake processes).
 */

use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../wp-cli/cron-lib.php';

final class CronRunnerTest extends TestCase {

	private const INDEX = array(
		'hosts' => array(
			'a.example.com'         => array( 'site' => 'alpha', 'canonical' => 'a.example.com', 'color' => 'blue' ),
			'www.a.example.com'     => array( 'site' => 'alpha', 'canonical' => 'a.example.com', 'color' => 'blue' ),
			'alpha.preview.example' => array( 'site' => 'alpha', 'canonical' => 'a.example.com', 'color' => 'green', 'preview' => true ),
			'b.example.com'         => array( 'site' => 'beta', 'canonical' => 'b.example.com', 'color' => 'green' ),
			'beta.preview.example'  => array( 'site' => 'beta', 'canonical' => 'b.example.com', 'color' => 'blue', 'preview' => true ),
			'c.example.com'         => array( 'site' => 'charlie', 'canonical' => 'c.example.com', 'color' => 'blue' ),
			'old.example.com'       => array( 'site' => 'nocolor', 'canonical' => 'old.example.com' ),
		),
	);

	public function test_a_color_runs_the_sites_it_serves_live_each_once_sorted(): void {
		$this->assertSame( array( 'alpha', 'charlie' ), wp_platform_color_sites( self::INDEX, 'blue' ) );
		$this->assertSame( array( 'beta' ), wp_platform_color_sites( self::INDEX, 'green' ) );
	}

	public function test_a_preview_host_never_makes_its_site_run_on_the_other_color(): void {
		$index = array( 'hosts' => array( 'x.preview' => array( 'site' => 'x', 'color' => 'blue', 'preview' => true ) ) );
		$this->assertSame( array(), wp_platform_color_sites( $index, 'blue' ) );
	}

	public function test_an_index_without_hosts_or_with_odd_entries_runs_nothing(): void {
		$this->assertSame( array(), wp_platform_color_sites( array(), 'blue' ) );
		$this->assertSame( array(), wp_platform_color_sites( array( 'hosts' => 'x' ), 'blue' ) );
		$this->assertSame( array(), wp_platform_color_sites( array( 'hosts' => array( 'h' => 'x', 'i' => array( 'color' => 'blue' ) ) ), 'blue' ) );
	}

	public function test_settings_have_defaults_and_refuse_what_is_not_a_positive_number(): void {
		$env = fn( array $vars ) => fn( $name ) => $vars[ $name ] ?? false;
		$this->assertSame(
			array( 'color' => 'blue', 'concurrency' => 4, 'timeout' => 120, 'interval' => 60 ),
			wp_platform_cron_settings( $env( array( 'WP_PLATFORM_COLOR' => 'blue' ) ) )
		);
		$this->assertSame(
			array( 'color' => 'green', 'concurrency' => 2, 'timeout' => 5, 'interval' => 3 ),
			wp_platform_cron_settings( $env( array( 'WP_PLATFORM_COLOR' => 'green', 'WP_CRON_CONCURRENCY' => '2', 'WP_CRON_SITE_TIMEOUT' => '5', 'WP_CRON_INTERVAL' => '3' ) ) )
		);
		foreach ( array( '0', '-1', '1.5', 'x' ) as $bad ) {
			try {
				wp_platform_cron_settings( $env( array( 'WP_PLATFORM_COLOR' => 'blue', 'WP_CRON_INTERVAL' => $bad ) ) );
				$this->fail( "WP_CRON_INTERVAL=$bad was accepted" );
			} catch ( WP_Platform_Job_Error $e ) {
				$this->assertStringContainsString( 'WP_CRON_INTERVAL is not a positive whole number', $e->getMessage() );
			}
		}
		$this->expectExceptionMessage( 'WP_PLATFORM_COLOR is not set' );
		wp_platform_cron_settings( $env( array() ) );
	}

	public function test_the_outcome_of_a_child(): void {
		$ok = "Executed the cron event 'a' in 0.01s.\nSuccess: Executed a total of 2 cron events.\n";
		$this->assertSame( array( 'outcome' => 'ok', 'events' => 2, 'reason' => null ), wp_platform_cron_outcome( 0, false, $ok, '', 5 ) );
		$this->assertSame( array( 'outcome' => 'ok', 'events' => 1, 'reason' => null ), wp_platform_cron_outcome( 0, false, 'Success: Executed a total of 1 cron event.', '', 5 ) );
		$this->assertSame( 'locked', wp_platform_cron_outcome( 0, false, WP_PLATFORM_CRON_LOCKED . ' (x)', '', 5 )['outcome'] );
		$this->assertSame( array( 'outcome' => 'timeout', 'events' => null, 'reason' => 'killed after 5s' ), wp_platform_cron_outcome( null, true, '', '', 5 ) );
		$fatal = wp_platform_cron_outcome( 255, false, '', "PHP Fatal error:  Uncaught Error: Call to undefined function x() in /a.php:3\nStack trace:\n#0 {main}\n", 5 );
		$this->assertSame( 'failed', $fatal['outcome'] );
		$this->assertSame( 'exit 255: PHP Fatal error: Uncaught Error: Call to undefined function x() in /a.php:3', $fatal['reason'] );
		$this->assertSame( 'exit 1: Error: no database', wp_platform_cron_outcome( 1, false, '', "Error: no database\n", 5 )['reason'] );
	}

	public function test_one_line_per_site(): void {
		$this->assertSame( 'cron-runner: site=alpha outcome=ok duration=1.25s events=3', wp_platform_cron_line( 'alpha', array( 'outcome' => 'ok', 'events' => 3, 'reason' => null ), 1.25 ) );
		$this->assertSame(
			'cron-runner: site=beta outcome=timeout duration=5.00s events=? reason="killed after 5s"',
			wp_platform_cron_line( 'beta', array( 'outcome' => 'timeout', 'events' => null, 'reason' => 'killed after 5s' ), 5.0 )
		);
	}

	/**
	 * Fake children on a fake clock: $durations[site] is how long each runs (INF: hangs). Returns
	 * the log and the most children ever running at once.
	 */
	private function schedule( array $durations, int $concurrency, int $timeout, ?callable $stop = null ): array {
		$now     = 0.0;
		$running = array();
		$most    = 0;
		$log     = array();
		wp_platform_cron_schedule(
			array_keys( $durations ),
			$concurrency,
			$timeout,
			function ( $site ) use ( &$running, &$most, &$now, $durations ) {
				$running[ $site ] = $now + $durations[ $site ];
				$most             = max( $most, count( $running ) );
				return $site;
			},
			function ( $site ) use ( &$running, &$now ) {
				if ( $now < $running[ $site ] ) {
					return null;
				}
				unset( $running[ $site ] );
				return array( 'outcome' => 'ok', 'events' => 1, 'reason' => null );
			},
			function ( $site ) use ( &$running ) {
				unset( $running[ $site ] );
				return array( 'outcome' => 'timeout', 'events' => null, 'reason' => 'killed' );
			},
			function ( $site, $result, $seconds ) use ( &$log ) {
				$log[] = sprintf( '%s %s %.1f', $site, $result['outcome'], $seconds );
			},
			function () use ( &$now ) {
				return $now;
			},
			function () use ( &$now ) {
				$now += 0.5;
			},
			$stop ?? fn() => false
		);
		return array( $log, $most );
	}

	public function test_at_most_n_sites_run_at_once_and_a_hung_one_is_killed_at_its_limit_without_holding_up_the_rest(): void {
		list( $log, $most ) = $this->schedule( array( 'a' => 1, 'hang' => INF, 'b' => 1, 'c' => 1, 'd' => 1 ), 2, 10 );
		$this->assertSame( 2, $most );
		$this->assertSame( array( 'a ok 1.0', 'b ok 1.0', 'c ok 1.0', 'd ok 1.0', 'hang timeout 10.0' ), $log );
	}

	public function test_one_at_a_time_runs_in_order(): void {
		list( $log, $most ) = $this->schedule( array( 'a' => 1, 'b' => 2 ), 1, 10 );
		$this->assertSame( 1, $most );
		$this->assertSame( array( 'a ok 1.0', 'b ok 2.0' ), $log );
	}

	public function test_a_stop_starts_no_more_sites_and_finishes_the_running_ones(): void {
		$polls = 0;
		$stop  = function () use ( &$polls ) {
			return ++$polls > 2;
		};
		list( $log ) = $this->schedule( array( 'a' => 2, 'b' => 2, 'c' => 2 ), 2, 10, $stop );
		$this->assertSame( array( 'a ok 2.0', 'b ok 2.0' ), $log );
	}
}
