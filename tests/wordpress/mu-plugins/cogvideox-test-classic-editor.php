<?php
/**
 * Test-site helper (installed by tests/wordpress/wp_site.py, never shipped): posts marked
 * with _cogvideox_test_classic_editor open in WordPress's classic editor, so the browser test
 * can exercise the meta box there too. WordPress 6.1 has no classic editor switch of its own.
 */

add_filter(
	'use_block_editor_for_post',
	static function ( $use_block_editor, $post ) {
		return get_post_meta( $post->ID, '_cogvideox_test_classic_editor', true ) ? false : $use_block_editor;
	},
	10,
	2
);
