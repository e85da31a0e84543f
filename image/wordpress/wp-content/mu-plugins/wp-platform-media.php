<?php
/**
 * Plugin Name: wp-platform media
 * Description: The site's uploads in its own S3 prefix, s3://<bucket>/sites/<id>/uploads/, through the AWS SDK for PHP's stream wrapper (image/README.md, "Media").
 *
 * Our own, smallest faithful take on humanmade/s3-uploads (which the package registry this project
 * builds from does not hold): the SDK's Aws\S3\StreamWrapper registered as s3:// with a client on
 * the SDK's default credential chain (IRSA web identity in the pods: AWS_ROLE_ARN and
 * AWS_WEB_IDENTITY_TOKEN_FILE; never keys in settings), `upload_dir` pointed at the site's prefix,
 * URLs on the site's own host, Imagick edits through a local temp file, no ACLs (the bucket
 * enforces the owner), and the active-content types refused. image/uploads.php (nginx's
 * /wp-content/uploads/ without an edge) uses the same functions without WordPress.
 *
 * The bucket and prefix come only from this site's settings file (wp-config.php defines
 * WP_PLATFORM_S3_BUCKET and WP_PLATFORM_S3_PREFIX from it), never from a request.
 */

/** Extensions never accepted as uploads: what a browser could run as the site's own page or script. */
const WP_PLATFORM_MEDIA_REFUSED = '/^(html?|xht(ml)?|shtml|js|mjs|svgz?|xml|xsl|xslt|php[0-9]*|phtml|phar|pht|swf)$/i';

/** Types served inline (uploads.php); anything else is a download (Content-Disposition: attachment). */
const WP_PLATFORM_MEDIA_INLINE = array(
	'jpg'  => 'image/jpeg',
	'jpeg' => 'image/jpeg',
	'jpe'  => 'image/jpeg',
	'png'  => 'image/png',
	'gif'  => 'image/gif',
	'webp' => 'image/webp',
	'avif' => 'image/avif',
	'heic' => 'image/heic',
	'bmp'  => 'image/bmp',
	'ico'  => 'image/x-icon',
	'mp3'  => 'audio/mpeg',
	'm4a'  => 'audio/mp4',
	'ogg'  => 'audio/ogg',
	'oga'  => 'audio/ogg',
	'wav'  => 'audio/wav',
	'flac' => 'audio/flac',
	'mp4'  => 'video/mp4',
	'm4v'  => 'video/mp4',
	'mov'  => 'video/quicktime',
	'webm' => 'video/webm',
	'ogv'  => 'video/ogg',
	'pdf'  => 'application/pdf',
);

/** Loads the image's Composer autoloader (the SDK) unless WP-CLI already did. */
function wp_platform_media_autoload(): void {
	if ( class_exists( 'Aws\S3\S3Client' ) ) {
		return;
	}
	$dir = getenv( 'WP_PLATFORM_VENDOR_DIR' );
	require_once ( false === $dir || '' === $dir ? '/opt/wp-platform/vendor' : rtrim( $dir, '/' ) ) . '/autoload.php';
}

/**
 * The site's files location from its settings: array{bucket, prefix} with prefix "sites/<id>/",
 * or null when the settings name none. A prefix that is not the site's own is an error.
 */
function wp_platform_media_location( string $site_id, ?string $bucket, ?string $prefix ): ?array {
	if ( null === $bucket || '' === $bucket || null === $prefix || '' === $prefix ) {
		return null;
	}
	if ( ! preg_match( '/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/', $bucket ) ) {
		throw new RuntimeException( 'WP_S3_BUCKET ' . json_encode( $bucket ) . ' is not a bucket name' );
	}
	if ( "sites/$site_id/" !== $prefix ) {
		throw new RuntimeException( 'WP_S3_PREFIX ' . json_encode( $prefix ) . " is not site $site_id's own prefix (sites/$site_id/)" );
	}
	return array(
		'bucket' => $bucket,
		'prefix' => $prefix,
	);
}

/**
 * The S3 client's arguments: region from AWS_REGION (or AWS_DEFAULT_REGION), credentials from the
 * SDK's default chain (no 'credentials' key), and, for a local S3 server only,
 * WP_PLATFORM_S3_ENDPOINT with path-style addressing.
 */
function wp_platform_media_client_args(): array {
	$region = getenv( 'AWS_REGION' ) ?: ( getenv( 'AWS_DEFAULT_REGION' ) ?: 'us-east-1' );
	$args   = array(
		'version' => '2006-03-01',
		'region'  => $region,
		'http'    => array( 'connect_timeout' => 5, 'timeout' => 60 ),
	);
	$endpoint = getenv( 'WP_PLATFORM_S3_ENDPOINT' );
	if ( false !== $endpoint && '' !== $endpoint ) {
		$args['endpoint']                = $endpoint;
		$args['use_path_style_endpoint'] = true;
	}
	return $args;
}

function wp_platform_media_client(): Aws\S3\S3Client {
	static $client = null;
	if ( null === $client ) {
		wp_platform_media_autoload();
		$client = new Aws\S3\S3Client( wp_platform_media_client_args() );
	}
	return $client;
}

/** Registers s3:// (once) with the SDK's stream wrapper, subclassed only for chmod/touch. */
function wp_platform_media_register_stream(): void {
	if ( in_array( 's3', stream_get_wrappers(), true ) ) {
		return;
	}
	wp_platform_media_autoload();
	require_once __DIR__ . '/wp-platform-media/stream-wrapper.php';
	WP_Platform_S3_Stream_Wrapper::register( wp_platform_media_client(), 's3', new Aws\LruArrayCache( 1000 ) );
}

/** Whether an upload's file name is refused (any extension of it, so `a.php.jpg` and `a.svg` both are). */
function wp_platform_media_refused_name( string $name ): bool {
	$parts = explode( '.', strtolower( $name ) );
	array_shift( $parts );
	foreach ( $parts as $ext ) {
		if ( preg_match( WP_PLATFORM_MEDIA_REFUSED, $ext ) ) {
			return true;
		}
	}
	return false;
}

/** `upload_mimes`: drops every type with a refused extension. */
function wp_platform_media_mimes( array $mimes ): array {
	foreach ( $mimes as $exts => $type ) {
		$kept = array_filter(
			explode( '|', (string) $exts ),
			fn( $ext ) => ! preg_match( WP_PLATFORM_MEDIA_REFUSED, $ext )
		);
		unset( $mimes[ $exts ] );
		if ( $kept && ! preg_match( '#(html|javascript|svg|xml|php)#i', (string) $type ) ) {
			$mimes[ implode( '|', $kept ) ] = $type;
		}
	}
	return $mimes;
}

/**
 * The Content-Type and Content-Disposition a stored file is served with (uploads.php): chosen by
 * its extension, never by what was stored, never text/html.
 *
 * @return array{0: string, 1: string|null}
 */
function wp_platform_media_serving_type( string $path ): array {
	$ext = strtolower( pathinfo( $path, PATHINFO_EXTENSION ) );
	if ( isset( WP_PLATFORM_MEDIA_INLINE[ $ext ] ) ) {
		return array( WP_PLATFORM_MEDIA_INLINE[ $ext ], null );
	}
	$name = preg_replace( '/[^A-Za-z0-9._-]/', '_', basename( $path ) );
	return array( 'application/octet-stream', 'attachment; filename="' . $name . '"' );
}

/**
 * The object key of a request path under /wp-content/uploads/, or null for anything that is not a
 * plain path there: `..` or `.` segments, empty segments, encoded slashes or backslashes, NUL or
 * control characters, a query's worth of junk.
 */
function wp_platform_media_key_of( string $request_uri, string $prefix ): ?string {
	$path = explode( '?', $request_uri, 2 )[0];
	if ( preg_match( '/%(2f|5c|00)/i', $path ) || preg_match( '/[\x00-\x1f\x7f\\\\]/', $path ) ) {
		return null;
	}
	if ( 0 !== strpos( $path, '/wp-content/uploads/' ) ) {
		return null;
	}
	$relative = rawurldecode( substr( $path, strlen( '/wp-content/uploads/' ) ) );
	if ( '' === $relative || preg_match( '/[\x00-\x1f\x7f\\\\]/', $relative ) ) {
		return null;
	}
	foreach ( explode( '/', $relative ) as $segment ) {
		if ( '' === $segment || '.' === $segment || '..' === $segment ) {
			return null;
		}
	}
	return $prefix . 'uploads/' . $relative;
}

if ( ! function_exists( 'add_filter' ) ) {
	// image/uploads.php: the functions only.
	return;
}

if ( defined( 'WP_PLATFORM_S3_BUCKET' ) && defined( 'WP_PLATFORM_S3_PREFIX' ) ) {
	$wp_platform_media = wp_platform_media_location( WP_PLATFORM_SITE_ID, WP_PLATFORM_S3_BUCKET, WP_PLATFORM_S3_PREFIX );
	wp_platform_media_register_stream();

	add_filter(
		'upload_dir',
		function ( array $dirs ) use ( $wp_platform_media ): array {
			$base            = 's3://' . $wp_platform_media['bucket'] . '/' . $wp_platform_media['prefix'] . 'uploads';
			$url             = defined( 'WP_PLATFORM_MEDIA_URL' ) ? WP_PLATFORM_MEDIA_URL : content_url( 'uploads' );
			$dirs['basedir'] = $base;
			$dirs['baseurl'] = $url;
			$dirs['path']    = $base . $dirs['subdir'];
			$dirs['url']     = $url . $dirs['subdir'];
			$dirs['error']   = false;
			return $dirs;
		},
		PHP_INT_MAX
	);
	unset( $wp_platform_media );

	// Imagick reads and writes local files only: ours copies through a temp file. GD takes streams
	// (WP_Image_Editor_GD::make_image buffers a stream's output itself).
	add_filter(
		'wp_image_editors',
		function ( array $editors ): array {
			if ( ! class_exists( 'WP_Image_Editor_Imagick', false ) ) {
				return $editors;
			}
			require_once __DIR__ . '/wp-platform-media/image-editor-imagick.php';
			return array_map(
				fn( $e ) => 'WP_Image_Editor_Imagick' === $e ? 'WP_Platform_Image_Editor_Imagick' : $e,
				$editors
			);
		}
	);
}

add_filter( 'upload_mimes', 'wp_platform_media_mimes', PHP_INT_MAX );
// A refused name is refused whatever type WordPress guesses for it (a.php.jpg, a.svg).
add_filter(
	'wp_check_filetype_and_ext',
	function ( $data, $file, $filename ) {
		if ( wp_platform_media_refused_name( (string) $filename ) ) {
			return array( 'ext' => false, 'type' => false, 'proper_filename' => false );
		}
		return $data;
	},
	PHP_INT_MAX,
	3
);
