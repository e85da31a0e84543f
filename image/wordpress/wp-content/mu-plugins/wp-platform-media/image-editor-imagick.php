<?php
/**
 * Imagick on an s3:// file, as S3-Uploads does it: Imagick reads and writes local files only, so
 * the original is copied to a temp file to load it, and each image saved to a stream is written to
 * a temp file first, then copied there. The editor keeps the stream path as its file, so the sizes'
 * names (generate_filename) are in the same folder of the bucket.
 */
class WP_Platform_Image_Editor_Imagick extends WP_Image_Editor_Imagick {
	/** @var string[] */
	private $wp_platform_temp = array();

	private function wp_platform_temp( string $extension = '' ): string {
		$file                     = wp_tempnam( 'wp-platform-media' ) . ( '' === $extension ? '' : ".$extension" );
		$this->wp_platform_temp[] = $file;
		return $file;
	}

	public function load() {
		if ( $this->image || ! wp_is_stream( $this->file ) ) {
			return parent::load();
		}
		$stream = $this->file;
		$local  = $this->wp_platform_temp( strtolower( pathinfo( $stream, PATHINFO_EXTENSION ) ) );
		if ( ! @copy( $stream, $local ) ) {
			return new WP_Error( 'error_loading_image', __( 'File doesn&#8217;t exist?' ), $stream );
		}
		$this->file = $local;
		$loaded     = parent::load();
		$this->file = $stream;
		return $loaded;
	}

	protected function _save( $image, $filename = null, $mime_type = null ) {
		list( $filename, $extension, $mime_type ) = $this->get_output_format( $filename, $mime_type );
		if ( ! $filename ) {
			$filename = $this->generate_filename( null, null, $extension );
		}
		if ( ! wp_is_stream( $filename ) ) {
			return parent::_save( $image, $filename, $mime_type );
		}
		$saved = parent::_save( $image, $this->wp_platform_temp( (string) $extension ), $mime_type );
		if ( is_wp_error( $saved ) ) {
			return $saved;
		}
		if ( ! @copy( $saved['path'], $filename ) ) {
			return new WP_Error( 'image_save_error', __( 'Image Editor Save Failed' ), $filename );
		}
		$saved['path'] = $filename;
		$saved['file'] = wp_basename( $filename );
		return $saved;
	}

	public function __destruct() {
		foreach ( $this->wp_platform_temp as $file ) {
			@unlink( $file );
		}
		parent::__destruct();
	}
}
