/**
 * @module @ce/cte
 */
