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
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids' ) ) as $cogvideox_site_id ) {
		switch_to_blog( $cogvideox_site_id );
		cogvideox_uninstall_site();
		restore_current_blog();
	}
} else {
	cogvideox_uninstall_site();
}
