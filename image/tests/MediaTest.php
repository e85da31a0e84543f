<?php
// The media plugin's own functions (wordpress/wp-content/mu-plugins/wp-platform-media.php), which
// uploads.php uses without WordPress: the request path to a key of the site's prefix, the refused
// upload types, the type a file is served with, and the location from the site's settings.
use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../wordpress/wp-content/mu-plugins/wp-platform-media.php';

final class MediaTest extends TestCase {
	public function test_a_plain_path_is_a_key_under_the_sites_uploads(): void {
		$this->assertSame( 'sites/a/uploads/2026/12/red.png', wp_platform_media_key_of( '/wp-content/uploads/2026/12/red.png', 'sites/a/' ) );
		$this->assertSame( 'sites/a/uploads/2026/12/red one.png', wp_platform_media_key_of( '/wp-content/uploads/2026/12/red%20one.png?ver=1', 'sites/a/' ) );
	}

	/** @dataProvider traversals */
	public function test_traversal_and_odd_paths_are_refused( string $uri ): void {
		$this->assertNull( wp_platform_media_key_of( $uri, 'sites/a/' ) );
	}

	public static function traversals(): array {
		return array(
			'dot dot'          => array( '/wp-content/uploads/../../sites/b/uploads/x.png' ),
			'encoded dot dot'  => array( '/wp-content/uploads/%2e%2e/%2E%2E/sites/b/uploads/x.png' ),
			'encoded slash'    => array( '/wp-content/uploads/..%2f..%2fsites%2fb/x.png' ),
			'encoded backslash' => array( '/wp-content/uploads/..%5c..%5cx.png' ),
			'backslash'        => array( '/wp-content/uploads/..\\x.png' ),
			'NUL'              => array( '/wp-content/uploads/x.png%00.jpg' ),
			'raw NUL'          => array( "/wp-content/uploads/x.png\0.jpg" ),
			'dot'              => array( '/wp-content/uploads/./x.png' ),
			'empty segment'    => array( '/wp-content/uploads//x.png' ),
			'the folder'       => array( '/wp-content/uploads/' ),
			'elsewhere'        => array( '/wp-content/themes/x.png' ),
		);
	}

	public function test_active_content_extensions_are_refused(): void {
		foreach ( array( 'a.html', 'a.htm', 'a.js', 'a.svg', 'a.xml', 'a.php', 'a.php7', 'a.phtml', 'a.phar', 'a.php.jpg', 'A.SVG' ) as $name ) {
			$this->assertTrue( wp_platform_media_refused_name( $name ), $name );
		}
		foreach ( array( 'a.jpg', 'a.png', 'a.pdf', 'a.txt', 'notes.docx' ) as $name ) {
			$this->assertFalse( wp_platform_media_refused_name( $name ), $name );
		}
	}

	public function test_upload_mimes_loses_every_active_type_and_keeps_the_rest(): void {
		$mimes = wp_platform_media_mimes(
			array(
				'jpg|jpeg|jpe' => 'image/jpeg',
				'htm|html'     => 'text/html',
				'js'           => 'application/javascript',
				'svg'          => 'image/svg+xml',
				'xml'          => 'application/xml',
				'txt|asc|c'    => 'text/plain',
				'xhtml|pdf'    => 'application/pdf',
			)
		);
		$this->assertSame(
			array(
				'jpg|jpeg|jpe' => 'image/jpeg',
				'txt|asc|c'    => 'text/plain',
				'pdf'          => 'application/pdf',
			),
			$mimes
		);
	}

	public function test_only_images_audio_video_and_pdf_are_inline_and_nothing_is_html(): void {
		$this->assertSame( array( 'image/png', null ), wp_platform_media_serving_type( 'sites/a/uploads/x.PNG' ) );
		$this->assertSame( array( 'application/pdf', null ), wp_platform_media_serving_type( 'sites/a/uploads/x.pdf' ) );
		foreach ( array( 'x.html', 'x.svg', 'x.txt', 'x.js', 'x' ) as $file ) {
			list( $type, $disposition ) = wp_platform_media_serving_type( "sites/a/uploads/$file" );
			$this->assertSame( 'application/octet-stream', $type, $file );
			$this->assertStringStartsWith( 'attachment;', (string) $disposition, $file );
		}
	}

	public function test_the_location_is_the_sites_own_prefix_or_an_error(): void {
		$this->assertSame( array( 'bucket' => 'files-1', 'prefix' => 'sites/a/' ), wp_platform_media_location( 'a', 'files-1', 'sites/a/' ) );
		$this->assertNull( wp_platform_media_location( 'a', null, null ) );
		$this->expectException( RuntimeException::class );
		wp_platform_media_location( 'a', 'files-1', 'sites/b/' );
	}

	public function test_the_client_uses_the_default_chain_and_a_local_endpoint_only_when_set(): void {
		putenv( 'WP_PLATFORM_S3_ENDPOINT' );
		putenv( 'AWS_REGION=eu-west-3' );
		$args = wp_platform_media_client_args();
		$this->assertSame( 'eu-west-3', $args['region'] );
		$this->assertArrayNotHasKey( 'credentials', $args );
		$this->assertArrayNotHasKey( 'endpoint', $args );
		putenv( 'WP_PLATFORM_S3_ENDPOINT=http://127.0.0.1:9000' );
		$args = wp_platform_media_client_args();
		$this->assertSame( 'http://127.0.0.1:9000', $args['endpoint'] );
		$this->assertTrue( $args['use_path_style_endpoint'] );
		putenv( 'WP_PLATFORM_S3_ENDPOINT' );
		putenv( 'AWS_REGION' );
	}
}
