/**
 * @module @ce/plugin-kit
 */
