export declare function findChromium(): { path: string; source: string } | null;
