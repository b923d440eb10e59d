/** Types of fleet-csv.mjs, for the tests that check the examples against it. */
export declare const FLEET_COLUMNS: string[];
export declare function fleetCsv(): string;
