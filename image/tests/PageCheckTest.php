<?php
/**
 * verify's visitor check (wp-cli/lib.php): the GET it makes through its color's Service, and when
 * the answer is not the site working.
 */

use PHPUnit\Framework\TestCase;

final class PageCheckTest extends TestCase {

	private const PAGE = "<!doctype html><html><head><title>Shop</title></head><body>hello</body></html>";

	public function test_the_home_request_goes_to_the_service_with_the_sites_host_and_scheme(): void {
		$this->assertSame(
			array( 'url' => 'http://blue.wp-platform.svc.cluster.local/', 'host' => 'shop.example.com', 'proto' => 'https' ),
			wp_platform_home_request( 'http://blue.wp-platform.svc.cluster.local/', 'https://shop.example.com/' )
		);
		$this->assertSame(
			array( 'url' => 'http://127.0.0.1:8080/blog/', 'host' => 'shop.example.com:8443', 'proto' => 'http' ),
			wp_platform_home_request( 'http://127.0.0.1:8080', 'http://shop.example.com:8443/blog' )
		);
	}

	/** @dataProvider bad_service_urls */
	public function test_a_service_url_is_a_scheme_and_a_host_only( string $url ): void {
		$this->expectException( WP_Platform_Job_Error::class );
		$this->expectExceptionMessage( 'WP_PLATFORM_SERVICE_URL' );
		wp_platform_home_request( $url, 'https://shop.example.com' );
	}

	public function bad_service_urls(): array {
		return array(
			'no scheme' => array( 'blue.wp-platform.svc' ),
			'a path'    => array( 'http://blue/x' ),
			'a query'   => array( 'http://blue?x' ),
			'ftp'       => array( 'ftp://blue' ),
		);
	}

	public function test_the_sites_own_page_passes(): void {
		$this->assertNull( wp_platform_page_problem( 200, array( 'x-wp-platform-site' => 'shop' ), self::PAGE, 'shop' ) );
	}

	/** @dataProvider bad_pages */
	public function test_a_page_that_is_not_the_site_working_fails( int $status, array $headers, string $body, string $why ): void {
		$this->assertStringContainsString( $why, (string) wp_platform_page_problem( $status, $headers, $body, 'shop' ) );
	}

	public function bad_pages(): array {
		$own = array( 'x-wp-platform-site' => 'shop' );
		return array(
			'a server error'           => array( 500, $own, 'There has been a critical error on this website.', 'answered 500 (a server error)' ),
			'a gateway error'          => array( 502, array(), 'Bad Gateway', 'answered 502' ),
			'a redirect'               => array( 301, array( 'location' => 'https://other/' ), '', 'answered 301, not 200 (Location: https://other/)' ),
			'not installed'            => array( 503, $own, 'site not installed', 'answered 503' ),
			'another site'             => array( 200, array( 'x-wp-platform-site' => 'other' ), self::PAGE, 'is the page of site other, not shop' ),
			'not WordPress'            => array( 200, array(), self::PAGE, 'has no X-WP-Platform-Site header' ),
			'a fatal after the header' => array( 200, $own, '<html><body>There has been a critical error on this website.', 'a PHP fatal error' ),
			'a fatal shown'            => array( 200, $own, "<br />\n<b>Fatal error</b>: Uncaught Error", 'a PHP fatal error' ),
			'an empty body'            => array( 200, $own, " \n", 'an empty body' ),
		);
	}
}
