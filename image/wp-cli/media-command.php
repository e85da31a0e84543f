<?php
/**
 * Our own minimal `wp media` (wp-cli/media-command is not in the package registry this project
 * builds from, and entity-command has none): the same names, arguments and messages as that
 * package, and only the part the platform uses (image/README.md). Files land where
 * wp_upload_dir() says: for a site of the platform, its own S3 prefix (mu-plugins/wp-platform-media.php).
 * When the registry has wp-cli/media-command, require it in composer.json and delete this file.
 *
 *   wp media import <file>... [--post_id=<post_id>] [--title=<title>] [--porcelain]
 *   wp media regenerate [<attachment-id>...] [--yes]
 */

if ( ! class_exists( 'WP_CLI' ) ) {
	return;
}

/**
 * Imports files as attachments, regenerates thumbnails.
 */
class WP_Platform_Media_Command extends WP_CLI_Command {

	private function load_admin(): void {
		require_once ABSPATH . 'wp-admin/includes/file.php';
		require_once ABSPATH . 'wp-admin/includes/image.php';
		require_once ABSPATH . 'wp-admin/includes/media.php';
	}

	/**
	 * Creates attachments from local files.
	 *
	 * ## OPTIONS
	 *
	 * <file>...
	 * : Path to file or files to be imported. (A Job never downloads: local paths only.)
	 *
	 * [--post_id=<post_id>]
	 * : ID of the post to attach the imported files to.
	 *
	 * [--title=<title>]
	 * : Attachment title (post title field).
	 *
	 * [--porcelain]
	 * : Output just the new attachment ID.
	 */
	public function import( $args, $assoc_args = array() ) {
		$this->load_admin();
		$post_id = (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'post_id', 0 );
		if ( $post_id && ! get_post( $post_id ) ) {
			WP_CLI::warning( "Invalid --post_id: $post_id" );
			$post_id = 0;
		}
		$successes = 0;
		foreach ( $args as $file ) {
			if ( preg_match( '#^[a-z][a-z0-9+.-]*://#i', $file ) ) {
				WP_CLI::warning( "Unable to import file '$file'. Reason: only local files can be imported here." );
				continue;
			}
			if ( ! is_readable( $file ) ) {
				WP_CLI::warning( "Unable to import file '$file'. Reason: File doesn't exist." );
				continue;
			}
			// media_handle_sideload moves its tmp_name: give it a copy.
			$tmp = wp_tempnam( $file );
			copy( $file, $tmp );
			$file_array = array(
				'name'     => wp_basename( $file ),
				'tmp_name' => $tmp,
			);
			$title = \WP_CLI\Utils\get_flag_value( $assoc_args, 'title' );
			$id    = media_handle_sideload( $file_array, $post_id, $title );
			if ( is_file( $tmp ) ) {
				unlink( $tmp );
			}
			if ( is_wp_error( $id ) ) {
				WP_CLI::warning( "Unable to import file '$file'. Reason: " . implode( ', ', $id->get_error_messages() ) );
				continue;
			}
			if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'porcelain' ) ) {
				WP_CLI::line( (string) $id );
			} else {
				WP_CLI::log( sprintf( "Imported file '%s' as attachment ID %d.", $file, $id ) );
			}
			++$successes;
		}
		if ( $successes !== count( $args ) ) {
			WP_CLI::error( sprintf( 'Only imported %d of %d items.', $successes, count( $args ) ) );
		}
		if ( ! \WP_CLI\Utils\get_flag_value( $assoc_args, 'porcelain' ) ) {
			WP_CLI::success( sprintf( 'Imported %d of %d items.', $successes, count( $args ) ) );
		}
	}

	/**
	 * Regenerates thumbnails for one or more attachments.
	 *
	 * ## OPTIONS
	 *
	 * [<attachment-id>...]
	 * : One or more IDs of the attachments to regenerate.
	 *
	 * [--yes]
	 * : Answer yes to the confirmation message. Confirmation only shows when no IDs passed as arguments.
	 */
	public function regenerate( $args, $assoc_args = array() ) {
		$this->load_admin();
		if ( empty( $args ) ) {
			WP_CLI::confirm( 'Do you really want to regenerate all images?', $assoc_args );
		}
		$query = array(
			'post_type'      => 'attachment',
			'post_mime_type' => 'image',
			'post_status'    => 'any',
			'posts_per_page' => -1,
			'fields'         => 'ids',
			'orderby'        => 'ID',
			'order'          => 'DESC',
		);
		if ( $args ) {
			$query['post__in'] = array_map( 'intval', $args );
		}
		$ids   = get_posts( $query );
		$count = count( $ids );
		if ( 0 === $count ) {
			WP_CLI::warning( 'No images found.' );
			return;
		}
		$done = 0;
		foreach ( $ids as $i => $id ) {
			$file = get_attached_file( $id );
			$at   = sprintf( '%d/%d', $i + 1, $count );
			if ( ! $file || ! file_exists( $file ) ) {
				WP_CLI::warning( "Can't find \"" . get_the_title( $id ) . "\" (ID $id)." );
				continue;
			}
			$metadata = wp_generate_attachment_metadata( $id, $file );
			if ( is_wp_error( $metadata ) || empty( $metadata ) ) {
				WP_CLI::warning( "$at Couldn't regenerate thumbnails for \"" . get_the_title( $id ) . "\" (ID $id)." );
				continue;
			}
			wp_update_attachment_metadata( $id, $metadata );
			WP_CLI::log( "$at Regenerated thumbnails for \"" . get_the_title( $id ) . "\" (ID $id)." );
			++$done;
		}
		if ( $done !== $count ) {
			WP_CLI::error( "Only regenerated $done of $count images." );
		}
		WP_CLI::success( "Regenerated $done of $count images." );
	}
}

WP_CLI::add_command( 'media', 'WP_Platform_Media_Command' );
