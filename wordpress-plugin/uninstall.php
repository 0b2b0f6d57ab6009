<?php
/**
 * Runs when the plugin is deleted from Plugins -> Installed Plugins: removes the plugin's
 * options, post meta, locks, transients and scheduled events. Imported videos stay in the
 * Media Library: they are the site's content now.
 *
 * @package CogVideoX
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

/**
 * Clean one site.
 */
function cogvideox_uninstall_site() {
	global $wpdb;

	foreach ( array( 'cogvideox_api_url', 'cogvideox_api_token', 'cogvideox_webhook_secret', 'cogvideox_defaults', 'cogvideox_db_version' ) as $option ) {
		delete_option( $option );
	}
	delete_transient( 'cogvideox_templates' );
	delete_transient( 'cogvideox_templates_error' );
	delete_transient( 'cogvideox_limits' );

	// Import locks and remembered webhook ids.
	// phpcs:disable WordPress.DB.DirectDatabaseQuery
	$wpdb->query(
		$wpdb->prepare(
			"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s",
			$wpdb->esc_like( '_cogvideox_lock_' ) . '%',
			$wpdb->esc_like( '_cogvideox_whid_' ) . '%'
		)
	);
	// Job state on posts and provenance on attachments: every meta key the plugin writes
	// starts with _cogvideox_.
	$wpdb->query(
		$wpdb->prepare(
			"DELETE FROM {$wpdb->postmeta} WHERE meta_key LIKE %s",
			$wpdb->esc_like( '_cogvideox_' ) . '%'
		)
	);
	// phpcs:enable
	wp_cache_flush();

	wp_clear_scheduled_hook( 'cogvideox_poll' );
	wp_unschedule_hook( 'cogvideox_start_job' );
	wp_unschedule_hook( 'cogvideox_import_video' );
}

if ( is_multisite() ) {
	// get_sites() answers 100 sites at a time: page through all of them.
	$cogvideox_offset = 0;
	do {
		$cogvideox_site_ids = get_sites(
			array(
				'fields'                 => 'ids',
				'number'                 => 100,
				'offset'                 => $cogvideox_offset,
				'orderby'                => 'id',
				'update_site_meta_cache' => false,
			)
		);
		foreach ( $cogvideox_site_ids as $cogvideox_site_id ) {
			switch_to_blog( $cogvideox_site_id );
			cogvideox_uninstall_site();
			restore_current_blog();
		}
		$cogvideox_offset += 100;
	} while ( count( $cogvideox_site_ids ) === 100 );
} else {
	cogvideox_uninstall_site();
}
