<?php
/**
 * The SDK's s3:// stream wrapper as WordPress uses it: S3 has no modes or times to set, so chmod()
 * and touch() (wp_handle_upload chmods every upload) succeed without a request instead of warning.
 */
class WP_Platform_S3_Stream_Wrapper extends Aws\S3\StreamWrapper {
	public function stream_metadata( $path, $option, $value ) {
		return true;
	}
}
