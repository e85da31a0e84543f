<?php
/**
 * /wp-content/uploads/<path> without an edge (locally, or a stack with the edge off): nginx sends
 * every request under that path here. The site is the request's Host, resolved exactly as for a
 * page (wp-config.php: unknown host 404, non-canonical host 301, preview host as itself), never
 * the URL; the file is s3://<bucket>/sites/<id>/uploads/<path> of that site's own settings,
 * streamed with a type chosen by its extension (never text/html), X-Content-Type-Options: nosniff,
 * and Content-Disposition: attachment for anything but an image, audio, video or PDF. A path with
 * `..`, `.` or empty segments, an encoded slash or backslash, NUL or a control character is 404.
 */

define( 'WP_PLATFORM_BOOTSTRAP_ONLY', true );
require __DIR__ . '/wp-config.php';
require_once __DIR__ . '/wp-content/mu-plugins/wp-platform-media.php';

$wp_platform_method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
if ( 'GET' !== $wp_platform_method && 'HEAD' !== $wp_platform_method ) {
	wp_platform_respond( 405, 'method not allowed', array( 'Allow' => 'GET, HEAD' ) );
}
if ( ! defined( 'WP_PLATFORM_S3_BUCKET' ) || ! defined( 'WP_PLATFORM_S3_PREFIX' ) ) {
	wp_platform_respond( 404, 'not found' );
}
try {
	$wp_platform_location = wp_platform_media_location( WP_PLATFORM_SITE_ID, WP_PLATFORM_S3_BUCKET, WP_PLATFORM_S3_PREFIX );
} catch ( RuntimeException $e ) {
	error_log( 'wp-platform: uploads: ' . $e->getMessage() );
	wp_platform_respond( 500, 'site misconfigured' );
}
$wp_platform_key = wp_platform_media_key_of( (string) ( $_SERVER['REQUEST_URI'] ?? '' ), $wp_platform_location['prefix'] );
if ( null === $wp_platform_key ) {
	wp_platform_respond( 404, 'not found' );
}

try {
	$wp_platform_object = wp_platform_media_client()->getObject(
		array(
			'Bucket' => $wp_platform_location['bucket'],
			'Key'    => $wp_platform_key,
			'@http'  => array( 'stream' => true ),
		)
	);
} catch ( Aws\S3\Exception\S3Exception $e ) {
	if ( in_array( $e->getStatusCode(), array( 403, 404 ), true ) || 'NoSuchKey' === $e->getAwsErrorCode() ) {
		wp_platform_respond( 404, 'not found' );
	}
	error_log( 'wp-platform: uploads: ' . $e->getMessage() );
	wp_platform_respond( 502, 'storage unavailable' );
} catch ( Aws\Exception\AwsException $e ) {
	error_log( 'wp-platform: uploads: ' . $e->getMessage() );
	wp_platform_respond( 502, 'storage unavailable' );
}

list( $wp_platform_type, $wp_platform_disposition ) = wp_platform_media_serving_type( $wp_platform_key );
http_response_code( 200 );
header( "Content-Type: $wp_platform_type" );
header( 'X-Content-Type-Options: nosniff' );
if ( null !== $wp_platform_disposition ) {
	header( "Content-Disposition: $wp_platform_disposition" );
}
header( "Content-Security-Policy: default-src 'none'; sandbox" );
header( 'Cache-Control: public, max-age=86400' );
if ( isset( $wp_platform_object['ContentLength'] ) ) {
	header( 'Content-Length: ' . (int) $wp_platform_object['ContentLength'] );
}
if ( isset( $wp_platform_object['ETag'] ) ) {
	header( 'ETag: ' . $wp_platform_object['ETag'] );
}
if ( isset( $wp_platform_object['LastModified'] ) ) {
	header( 'Last-Modified: ' . $wp_platform_object['LastModified']->format( DATE_RFC7231 ) );
}
if ( 'HEAD' === $wp_platform_method ) {
	exit;
}
$wp_platform_body = $wp_platform_object['Body'];
while ( ! $wp_platform_body->eof() ) {
	echo $wp_platform_body->read( 65536 );
	flush();
}
